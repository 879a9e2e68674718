import { ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsOptional, ValidateNested } from 'class-validator';
import { ClientRetentionDto } from './client-retention.dto';
import { CreateClientDto } from './create-client.dto';

export class UpdateClientDto extends PartialType(CreateClientDto) {
  @ApiPropertyOptional({
    description: "The client's own retention per resolution (platform staff only: a client's user gets 403). Fields left out are kept; null is the platform's default",
    type: ClientRetentionDto,
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ClientRetentionDto)
  retention?: ClientRetentionDto;
}
