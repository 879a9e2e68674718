import { applyDecorators, PipeTransform } from '@nestjs/common';
import { IsInt, Max, Min } from 'class-validator';
import { InvalidInputError } from './domain-errors';

/**
 * The largest row id: ids are PostgreSQL `integer` columns, and a larger number sent to the database
 * fails the whole query there (a 500), so it is refused where it is parsed, naming the field.
 */
export const MAX_ROW_ID = 2_147_483_647;

/** `:id` path parameters are row ids (1 to MAX_ROW_ID); anything else is a 400 naming the parameter. */
export const IdParam = (name = 'id'): PipeTransform<string, number> => ({
  transform(value: string): number {
    const id = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
    if (!(id >= 1 && id <= MAX_ROW_ID)) throw InvalidInputError.forFields([{ field: name, message: `must be a positive integer (at most ${MAX_ROW_ID})` }]);
    return id;
  },
});

/** A row id in a query or a body (deviceId, clientId, ...): a whole number from 1 to MAX_ROW_ID. Queries add @Type(() => Number). */
export const IsRowId = () => applyDecorators(IsInt(), Min(1), Max(MAX_ROW_ID));
