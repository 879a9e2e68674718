import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';

export class DeleteDeviceQuery {
  @ApiPropertyOptional({
    description: "Also delete the device's stored readings and alarm events. Without it, a device with readings answers 409.",
    default: false,
  })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  purge?: boolean;
}
