import { ApiProperty } from '@nestjs/swagger';

export class MaintenanceWindowResponse {
  @ApiProperty({ description: 'Window id', example: 1 }) id!: number;
  @ApiProperty({ description: 'Client of the device or site', example: 1 }) clientId!: number;
  @ApiProperty({ description: 'The device, or null for a site window', nullable: true, type: Number, example: 1 }) deviceId!: number | null;
  @ApiProperty({ description: 'The site, or null for a device window', nullable: true, type: Number, example: null }) siteId!: number | null;
  @ApiProperty({ description: 'Start (ISO-8601 UTC)', example: '2026-12-01T08:00:00.000Z' }) from!: string;
  @ApiProperty({ description: 'End (ISO-8601 UTC)', example: '2026-12-01T12:00:00.000Z' }) to!: string;
  @ApiProperty({ description: 'Why', example: 'Transformer inspection' }) reason!: string;
  @ApiProperty({ description: 'Who created it', nullable: true, type: String, example: 'ops@plant.local' }) createdBy!: string | null;

  static fromRow(r: Record<string, unknown>): MaintenanceWindowResponse {
    const id = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return {
      id: Number(r['id']),
      clientId: Number(r['client_id']),
      deviceId: id(r['device_id']),
      siteId: id(r['site_id']),
      from: new Date(Number(r['from_ts'])).toISOString(),
      to: new Date(Number(r['to_ts'])).toISOString(),
      reason: String(r['reason']),
      createdBy: (r['created_by'] as string | null) ?? null,
    };
  }
}
