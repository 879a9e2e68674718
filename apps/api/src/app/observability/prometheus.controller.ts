import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { contentType as prometheusContentType } from 'prom-client';
import { AcceptsMetricsToken, StaffOnly } from '../auth/current-principal.decorator';
import { MinRole } from '../auth/roles';
import { PlantMetrics } from './plant-metrics';

@ApiTags('observability')
/** The Prometheus scrape endpoint (under /api/metrics for scrapers' sake; meter readings are MetricsController's). */
@Controller('metrics/prometheus')
export class PrometheusController {
  constructor(private readonly metrics: PlantMetrics) {}

  /**
   * Prometheus metrics of this instance (text exposition format): HTTP requests, readings ingested,
   * polls, devices by status, forwarding backlog, database size, process. For staff operators and
   * admins (not users of a client, not API keys), or a scraper sending `Authorization: Bearer <METRICS_TOKEN>`.
   */
  @Get()
  @ApiOperation({ summary: 'Prometheus metrics of this instance (text exposition format); staff operators/admins or METRICS_TOKEN' })
  @MinRole('operator')
  @StaffOnly()
  @AcceptsMetricsToken()
  @Header('Content-Type', prometheusContentType)
  @Header('Cache-Control', 'no-store')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Metrics in the Prometheus text exposition format (version 0.0.4)', schema: { type: 'string' } })
  getPrometheusMetrics(): Promise<string> {
    return this.metrics.exposition();
  }
}
