import { OmitType, PartialType } from '@nestjs/swagger';
import { CreateTariffDto } from './create-tariff.dto';

/** Any field of a tariff but whose it is; a field left out stays as it is, and the result is checked whole. */
export class UpdateTariffDto extends PartialType(OmitType(CreateTariffDto, ['clientId', 'siteId'] as const)) {}
