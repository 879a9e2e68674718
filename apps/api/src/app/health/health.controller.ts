import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/roles';
import { HealthResponse, LivenessResponse, ReadinessResponse } from './dto/health.response';
import { HealthService } from './health.service';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /**
   * Details of every check (database, migrations, poll scheduler, forwarder). Always answers 200 while
   * the process runs (container health checks use it); status says whether every check passes.
   */
  @Public()
  @Get()
  @ApiOperation({ summary: 'Health details: database, migrations, poll scheduler, forwarder (always 200 while running)' })
  @ApiOkResponse({ type: HealthResponse })
  getHealth(): Promise<HealthResponse> {
    return this.health.health();
  }

  /** Liveness: 200 as long as the process answers (its event loop runs); checks nothing else. */
  @Public()
  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process answers' })
  @ApiOkResponse({ type: LivenessResponse })
  getLiveness(): LivenessResponse {
    return { status: 'ok', uptimeSec: Math.round(process.uptime()) };
  }

  /** Readiness: 200 when the database answers and every migration has run; 503 naming the failing check otherwise. */
  @Public()
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: 200 when the database answers and migrations have run, else 503 naming the failing check' })
  @ApiOkResponse({ type: ReadinessResponse, description: 'Ready to serve' })
  @ApiResponse({ status: HttpStatus.SERVICE_UNAVAILABLE, type: ReadinessResponse, description: 'Not ready: failing names the checks' })
  async getReadiness(@Res({ passthrough: true }) res: Response): Promise<ReadinessResponse> {
    const readiness = await this.health.readiness();
    if (readiness.status !== 'ready') res.status(HttpStatus.SERVICE_UNAVAILABLE);
    return readiness;
  }
}
