import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { API_KEY_SCOPES, ApiKey, ApiKeyScope } from '../entities/api-key.entity';
import { IsRowId } from '../../common/id-param';

export class CreateApiKeyDto {
  @ApiProperty({ description: 'What the key is for', example: 'Slave instance at the head office' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({
    description:
      '`ingest`: may POST /api/ingest for the client’s existing devices; `forward`: may also create the devices its readings name by uid (a master instance forwarding here); `read`: may call the read (GET) routes',
    enum: API_KEY_SCOPES,
  })
  @IsIn(API_KEY_SCOPES)
  scope!: ApiKeyScope;

  @ApiPropertyOptional({ description: "The client the key acts for; a client's user may omit it (their own client), platform staff must give it" })
  @IsOptional()
  @IsRowId()
  clientId?: number;
}

export class ApiKeyResponse {
  @ApiProperty({ description: 'Key id' }) id!: number;
  @ApiProperty({ description: 'Client the key acts for' }) clientId!: number;
  @ApiProperty({ description: 'Name' }) name!: string;
  @ApiProperty({ description: 'Scope', enum: API_KEY_SCOPES }) scope!: ApiKeyScope;
  @ApiProperty({ description: 'The first characters of the key, to tell keys apart' }) prefix!: string;
  @ApiProperty({ description: 'Creation time' }) createdAt!: string;
  @ApiProperty({ description: 'Last time the key was used (to the minute)', nullable: true, type: String }) lastUsedAt!: string | null;
  @ApiProperty({ description: 'When the key was revoked; revoked keys are refused', nullable: true, type: String }) revokedAt!: string | null;

  static from(k: ApiKey): ApiKeyResponse {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      id: k.id,
      clientId: k.clientId,
      name: k.name,
      scope: k.scope,
      prefix: k.prefix,
      createdAt: new Date(k.createdAt).toISOString(),
      lastUsedAt: iso(k.lastUsedAt),
      revokedAt: iso(k.revokedAt),
    };
  }
}

export class CreatedApiKeyResponse extends ApiKeyResponse {
  @ApiProperty({ description: 'The key itself, for the X-API-Key header. Shown this once: only its hash is kept.' })
  key!: string;
}
