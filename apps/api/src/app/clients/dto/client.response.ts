import { ApiProperty } from '@nestjs/swagger';
import type { Client } from '../entities/client.entity';

export class ClientResponse {
  @ApiProperty({ description: 'Client id', example: 1 })
  id!: number;
  @ApiProperty({ description: "The client's name", example: 'Fazenda Boa Vista' })
  name!: string;
  @ApiProperty({ description: "The client's identifier in other systems", nullable: true, type: String, example: 'CRM-0042' })
  externalId!: string | null;
  @ApiProperty({ description: 'When the client was created (ISO-8601 UTC)', example: '2026-11-26T12:00:00.000Z' })
  createdAt!: string;

  static from(c: Client): ClientResponse {
    return { id: c.id, name: c.name, externalId: c.externalId, createdAt: new Date(c.createdAt).toISOString() };
  }
}
