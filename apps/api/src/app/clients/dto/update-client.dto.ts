import { ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsOptional, ValidateBy, ValidateNested } from 'class-validator';
import { mqttTopicProblem } from '@pieng/connectors';
import { ClientRetentionDto } from './client-retention.dto';
import { CreateClientDto } from './create-client.dto';

const IsMqttTopicPrefix = () =>
  ValidateBy({
    name: 'isMqttTopicPrefix',
    validator: {
      validate: (value: unknown) =>
        value === null || (typeof value === 'string' && value.length > 0 && value.length <= 200 && mqttTopicProblem(value.replace(/\/+$/, '')) === undefined),
      defaultMessage: () => 'mqttTopicPrefix must be an MQTT topic without wildcards (+ or #), such as acme or sites/acme (or null for any topic)',
    },
  });

export class UpdateClientDto extends PartialType(CreateClientDto) {
  @ApiPropertyOptional({
    description:
      "The client's own retention per resolution (platform staff only: a client's user gets 403). Fields left out are kept; null is the platform's default",
    type: ClientRetentionDto,
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ClientRetentionDto)
  retention?: ClientRetentionDto;

  @ApiPropertyOptional({
    description:
      "Platform staff only: the client's mqtt devices must have topics under this prefix (acme: acme/plug1, not other/plug1), so that one client cannot bind another's meter; null lifts it",
    nullable: true,
    type: String,
    example: 'acme',
  })
  @IsOptional()
  @IsMqttTopicPrefix()
  mqttTopicPrefix?: string | null;
}
