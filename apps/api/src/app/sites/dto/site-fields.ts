import { ValidateBy } from 'class-validator';
import { isTimeZone } from '../../common/time-zones';

/** An IANA time zone, or null (the client's). */
export const IsSiteTimeZone = () =>
  ValidateBy({
    name: 'isSiteTimeZone',
    validator: {
      validate: (value: unknown) => value === null || (typeof value === 'string' && value.length <= 64 && isTimeZone(value)),
      defaultMessage: () => "timezone must be an IANA time zone such as America/Sao_Paulo (or null for the client's)",
    },
  });
