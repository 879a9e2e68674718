import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsNumber, IsObject, IsOptional, IsPositive, IsString, Max, MaxLength, Min } from 'class-validator';
import { DEFAULT_MAX_POWER_W } from '../../energy/energy-counter';
import { DEVICE_TYPES, DeviceType } from '@pieng/shared';
import { IsRowId } from '../../common/id-param';

export class CreateDeviceDto {
  @ApiProperty({ description: 'The client (tenant) that owns the device', example: 1 })
  @IsRowId()
  clientId!: number;

  @ApiPropertyOptional({ description: "The site (consumer unit) of the client the device measures in; absent: the client's first site", example: 1 })
  @IsOptional()
  @IsRowId()
  siteId?: number;

  @ApiPropertyOptional({
    description: "A submeter measures part of what another meter of its site measures: its energy is left out of the site's total",
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  submeter?: boolean;

  @ApiProperty({ description: 'A name the plant staff recognise', example: 'Main panel PZEM' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({
    description:
      '`modbus`: polled over RS485 or Ethernet; `tuya`: polled from Tuya cloud; `api`: pushes its own readings to /api/ingest; `mqtt`: publishes to the MQTT broker the server subscribes to (MQTT_URL); `virtual`: computed on each query from other devices of the same client by expressions (config {inputs: {main: 12, a: 13}, metrics: {power: "main.power - a.power"}}), never stored',
    enum: DEVICE_TYPES,
    example: 'modbus',
  })
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
      'Tuya: {region, accessId, accessSecret, tuyaDeviceId, endpoint?}; ' +
      "MQTT: {format: tasmota|shelly-gen1|shelly-gen2|zigbee2mqtt|json, topic (the meter's own MQTT name; for json the full topic, no wildcards), " +
      'energyScale? (zigbee2mqtt), mapping?: [{metric, path: "a.b[0].c", scale?, offset?}] and timestampPath? (json)}. Secrets are write-only.',
    type: 'object',
    additionalProperties: true,
    example: { transport: 'tcp', host: '192.168.1.50', port: 502, unitId: 1, driver: 'sdm630' },
  })
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown>;
}
