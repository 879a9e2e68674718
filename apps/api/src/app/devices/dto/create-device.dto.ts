import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsNumber, IsObject, IsOptional, IsPositive, IsString, Max, MaxLength, Min } from 'class-validator';
import { DEFAULT_MAX_POWER_W } from '../../energy/energy-counter';
import { DEVICE_TYPES, DeviceType } from '@pieng/shared';
import { IsRowId } from '../../common/id-param';

export class CreateDeviceDto {
  @ApiProperty({ description: 'The client (tenant) that owns the device', example: 1 })
  @IsRowId()
  clientId!: number;

  @ApiProperty({ description: 'A name the plant staff recognise', example: 'Main panel PZEM' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ description: '`modbus`: polled over RS485 or Ethernet; `tuya`: polled from Tuya cloud; `api`: pushes its own readings to /api/ingest', enum: DEVICE_TYPES, example: 'modbus' })
  @IsIn(DEVICE_TYPES)
  deviceType!: DeviceType;

  @ApiPropertyOptional({ description: 'Inactive devices are not polled', default: true })
  @IsOptional()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ description: 'Seconds between two polls', default: 30, minimum: 1, maximum: 86400 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86400)
  pollIntervalSec?: number;

  @ApiPropertyOptional({
    description: `Watts the device can never draw: a rise of its energy counter that would need more is a spike (a misread), left out of its energy and flagged. Default ${DEFAULT_MAX_POWER_W.toLocaleString('en')} W`,
    example: 20000,
    minimum: 1,
    maximum: 1e9,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  @Max(1e9)
  maxPowerW?: number;

  @ApiPropertyOptional({
    description:
      'Driver settings, validated per driver. Modbus serial: {transport:"rtu", port, baudRate, parity, dataBits, stopBits, slaveId, driver, timeoutMs}; ' +
      'Modbus TCP: {transport:"tcp", host, port, unitId, driver}; RTU over TCP: {transport:"rtu-tcp", host, port, slaveId, driver}; ' +
      'generic register maps add registers:[{metric, function, address, type, order, scale, offset, unit}]; ' +
      'Tuya: {region, accessId, accessSecret, tuyaDeviceId, endpoint?}. Secrets are write-only.',
    type: 'object',
    additionalProperties: true,
    example: { transport: 'tcp', host: '192.168.1.50', port: 502, unitId: 1, driver: 'sdm630' },
  })
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown>;
}
