import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DEVICE_STATUSES, DEVICE_TYPES, DeviceStatus, DeviceType } from '@pieng/shared';
import { deviceStatus } from '../device-status';
import type { Device } from '../entities/device.entity';
import { DEFAULT_MAX_POWER_W } from '../../energy/energy-counter';

export class DeviceResponse {
  @ApiProperty({ description: 'Device id on this instance', example: 1 })
  id!: number;
  @ApiProperty({ description: 'Stable identity across instances (UUID)', example: '3f1c9a4e-6d0b-4c1e-9a52-2b8e7f0c1d2a' })
  uid!: string;
  @ApiProperty({ description: 'Owning client', example: 1 })
  clientId!: number;
  @ApiProperty({ description: 'The site (consumer unit) the device measures in; null when its client has no site', nullable: true, type: Number, example: 1 })
  siteId!: number | null;
  @ApiProperty({ description: "Whether the device is a submeter (left out of its site's total)", example: false })
  submeter!: boolean;
  @ApiProperty({ description: 'Device name', example: 'Main panel PZEM' })
  name!: string;
  @ApiProperty({ description: 'Kind of device', enum: DEVICE_TYPES })
  deviceType!: DeviceType;
  @ApiProperty({ description: 'Whether the device is polled' })
  active!: boolean;
  @ApiProperty({ description: 'Seconds between two polls', example: 30 })
  pollIntervalSec!: number;
  @ApiProperty({ description: 'Watts above which a rise of the energy counter is a spike, not energy (the default when none was set)', example: 200000 })
  maxPowerW!: number;
  @ApiProperty({ description: 'Driver settings, with secrets removed', type: 'object', additionalProperties: true })
  config!: Record<string, unknown>;
  @ApiProperty({ description: 'online, offline, backoff (failing, retried later), unknown (never read) or inactive', enum: DEVICE_STATUSES })
  status!: DeviceStatus;
  @ApiProperty({ description: 'Time of the last reading stored (ISO-8601 UTC)', nullable: true, type: String })
  lastSeenAt!: string | null;
  @ApiProperty({
    description:
      'The last poll error, in plain words: in full for platform staff; for users of a client without the details that would tell a refused link from a silent one',
    nullable: true,
    type: String,
  })
  lastError!: string | null;
  @ApiProperty({ description: 'Failed polls in a row', example: 0 })
  consecutiveFailures!: number;
  @ApiProperty({ description: 'When the device was created (ISO-8601 UTC)' })
  createdAt!: string;
  @ApiPropertyOptional({
    description:
      'Set when the poll intervals configured on the serial line (or RTU gateway) this device shares need more wire time than the line has; says which intervals to lengthen',
    nullable: true,
    type: String,
  })
  lineWarning?: string | null;
  @ApiPropertyOptional({
    description:
      "The instance that polls this device now (holder of its lease; with several instances on one database each device is read by one of them); null when no instance polls it (inactive, pushed by api, polling off, or between an instance's death and the takeover)",
    nullable: true,
    type: String,
    example: 'Pieng Medidor Master @ plant-1 pid 4242 (3f1c9a4e-6d0b-4c1e-9a52-2b8e7f0c1d2a)',
  })
  polledBy?: string | null;
  @ApiPropertyOptional({ description: 'mqtt devices: payloads of the device that could not be read (never stored)', example: 0 })
  mqttRejected?: number;
  @ApiPropertyOptional({
    description: 'mqtt devices: the last payload that could not be read, as received (its first 2,000 characters)',
    nullable: true,
    type: String,
    example: '{"Time":"2022-01-11T21:57:38"}',
  })
  lastRejectedPayload?: string | null;
  @ApiPropertyOptional({
    description: 'mqtt devices: why the last bad payload could not be read',
    nullable: true,
    type: String,
    example: 'SENSOR payload has no ENERGY object',
  })
  lastRejectedReason?: string | null;
  @ApiPropertyOptional({ description: 'mqtt devices: when the last message of the device came, readings or not (ISO-8601 UTC)', nullable: true, type: String })
  mqttLastMessageAt?: string | null;

  static from(
    d: Device,
    redact: (config: Record<string, unknown>) => Record<string, unknown>,
    lineWarning: string | null = null,
    polledBy: string | null = null,
  ): DeviceResponse {
    return {
      id: d.id,
      uid: d.uid,
      clientId: d.clientId,
      siteId: d.siteId,
      submeter: d.submeter,
      name: d.name,
      deviceType: d.deviceType,
      active: d.active,
      pollIntervalSec: d.pollIntervalSec,
      maxPowerW: d.maxPowerW ?? DEFAULT_MAX_POWER_W,
      config: redact(d.config),
      status: deviceStatus(d),
      lastSeenAt: d.lastSeenAt === null ? null : new Date(d.lastSeenAt).toISOString(),
      lastError: d.lastError,
      consecutiveFailures: d.consecutiveFailures,
      createdAt: new Date(d.createdAt).toISOString(),
      lineWarning,
      polledBy,
      ...(d.deviceType === 'mqtt' && {
        mqttRejected: d.mqttRejected ?? 0,
        lastRejectedPayload: d.lastRejectedPayload ?? null,
        lastRejectedReason: d.lastRejectedReason ?? null,
        mqttLastMessageAt: d.mqttLastMessageAt === null || d.mqttLastMessageAt === undefined ? null : new Date(d.mqttLastMessageAt).toISOString(),
      }),
    };
  }
}
