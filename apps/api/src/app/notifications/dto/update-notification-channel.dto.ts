import { ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { IsObject, IsOptional } from 'class-validator';
import { CreateNotificationChannelDto } from './create-notification-channel.dto';

export class UpdateNotificationChannelDto extends PartialType(OmitType(CreateNotificationChannelDto, ['clientId', 'type', 'config'] as const)) {
  @ApiPropertyOptional({
    description:
      "Fields to change in the type's configuration; those left out are kept (a Telegram botToken need not be sent again). A webhook keeps its secret",
    example: { url: 'https://hooks.example.com/pieng' },
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown>;
}
