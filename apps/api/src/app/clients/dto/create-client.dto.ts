import type { Language } from '@pieng/shared';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateBy } from 'class-validator';
import { isTimeZone } from '../../common/time-zones';

const IsTimeZone = () =>
  ValidateBy({
    name: 'isTimeZone',
    validator: {
      validate: (value: unknown) => value === null || (typeof value === 'string' && value.length <= 64 && isTimeZone(value)),
      defaultMessage: () => 'timezone must be an IANA time zone such as America/Sao_Paulo (or null for PLANT_TIMEZONE)',
    },
  });

export class CreateClientDto {
  @ApiProperty({ description: "The client's name as the operator's staff and the client's users see it", example: 'Fazenda Boa Vista' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({
    description: "The client's identifier in other systems; unique; used to match clients across master and slave instances",
    example: 'CRM-0042',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  externalId?: string;

  @ApiPropertyOptional({
    description:
      "IANA time zone of the client's days, weeks and months (charts by day, energy periods); null or absent follows PLANT_TIMEZONE. Set by platform staff.",
    example: 'America/Sao_Paulo',
    nullable: true,
    type: String,
  })
  @IsOptional()
  @IsTimeZone()
  timezone?: string | null;

  @ApiPropertyOptional({
    description: "Language of the client's notifications (e-mail, Telegram, SMS): en or pt-BR; absent: en",
    example: 'pt-BR',
    enum: ['en', 'pt-BR'],
  })
  @IsOptional()
  @IsIn(['en', 'pt-BR'], { message: 'language must be en or pt-BR' })
  language?: Language;
}
