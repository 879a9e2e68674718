import { Controller, Get, Inject } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/roles';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';

class DatabaseHealth {
  @ApiProperty({ description: 'sqlite or postgres' }) engine!: string;
  @ApiProperty({ description: 'Whether a query succeeded' }) ok!: boolean;
  @ApiProperty({ description: 'Round trip of a trivial query, ms' }) latencyMs!: number;
  @ApiProperty({ description: 'The error, when not ok', required: false }) error?: string;
}

class HealthResponse {
  @ApiProperty({ description: 'ok when the server can take readings; degraded otherwise', enum: ['ok', 'degraded'] }) status!: 'ok' | 'degraded';
  @ApiProperty({ description: 'Instance name (APP_NAME)' }) name!: string;
  @ApiProperty({ description: 'Seconds since start' }) uptimeSec!: number;
  @ApiProperty({ description: 'Server time (ISO-8601 UTC)' }) time!: string;
  @ApiProperty({ type: DatabaseHealth }) database!: DatabaseHealth;
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Liveness and readiness: answers 200 with details; status says whether the database answers. */
  @Public()
  @Get()
  async getHealth(): Promise<HealthResponse> {
    const started = performance.now();
    let database: DatabaseHealth;
    try {
      await this.db.query('SELECT 1');
      database = { engine: this.db.kind, ok: true, latencyMs: +(performance.now() - started).toFixed(2) };
    } catch (err) {
      database = { engine: this.db.kind, ok: false, latencyMs: +(performance.now() - started).toFixed(2), error: String(err) };
    }
    return {
      status: database.ok ? 'ok' : 'degraded',
      name: this.config.appName,
      uptimeSec: Math.round(process.uptime()),
      time: new Date().toISOString(),
      database,
    };
  }
}
