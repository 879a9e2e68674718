import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { IdParam } from '../common/id-param';
import { AlarmsService } from './alarms.service';
import { AcknowledgeAlarmEventDto } from './dto/acknowledge-alarm-event.dto';
import { AlarmCountsResponse } from './dto/alarm-counts.response';
import { AlarmEventQuery } from './dto/alarm-event.query';
import { AlarmEventResponse } from './dto/alarm-event.response';
import { AlarmHistoryEntryResponse } from './dto/alarm-history.response';
import { AlarmMetricQuery } from './dto/alarm-metric.query';
import { AlarmMetricResponse } from './dto/alarm-metric.response';
import { AlarmRuleQuery } from './dto/alarm-rule.query';
import { AlarmRuleResponse } from './dto/alarm-rule.response';
import { CreateAlarmRuleDto } from './dto/create-alarm-rule.dto';
import { CreateMaintenanceWindowDto } from './dto/create-maintenance-window.dto';
import { MaintenanceWindowQuery } from './dto/maintenance-window.query';
import { MaintenanceWindowResponse } from './dto/maintenance-window.response';
import { ShelveAlarmEventDto } from './dto/shelve-alarm-event.dto';
import { UpdateAlarmRuleDto } from './dto/update-alarm-rule.dto';

/** Who did it, as the event history names them. */
const actorOf = (p: Principal) => (p.kind === 'user' ? p.email : `API key ${p.keyId}`);

@ApiTags('alarms')
@Controller('alarms')
export class AlarmsController {
  constructor(private readonly alarms: AlarmsService) {}

  @Get('rules')
  @ApiOperation({ summary: 'Alarm rules of the caller’s clients' })
  @ApiErrors(400)
  @ApiOkResponse({ type: [AlarmRuleResponse] })
  async listAlarmRules(@CallerScope() scope: ClientScope, @Query() query: AlarmRuleQuery): Promise<AlarmRuleResponse[]> {
    return (await this.alarms.listRules(scope, query)).map(AlarmRuleResponse.from);
  }

  @Post('rules')
  @ApiOperation({ summary: 'Create an alarm rule (threshold, offline, rateOfChange, counterReset; platform staff: diskSpace, backupFailed, forwardingStuck)' })
  @ApiErrors(400, 403, 404)
  @ApiCreatedResponse({ type: AlarmRuleResponse })
  @ApiBody({
    type: CreateAlarmRuleDto,
    examples: {
      overvoltage: {
        summary: 'Overvoltage on every meter of client 1',
        value: {
          clientId: 1,
          name: 'Overvoltage',
          type: 'threshold',
          metric: 'voltage',
          operator: '>',
          threshold: 242,
          severity: 'major',
          deadband: 2,
          onDelaySec: 10,
        },
      },
      offline: {
        summary: 'A meter silent for 5 minutes',
        value: { clientId: 1, deviceId: 1, name: 'Meter silent', type: 'offline', staleAfterSec: 300, severity: 'critical' },
      },
      diskSpace: {
        summary: 'Platform staff: less than 2 GB free in the data directory for 5 minutes',
        value: { name: 'Disk almost full', type: 'diskSpace', threshold: 2048, deadband: 256, onDelaySec: 300, severity: 'critical', channelIds: [1] },
      },
      forwardingStuck: {
        summary: 'Platform staff: readings waiting 15 minutes to be forwarded',
        value: { name: 'Forwarding stuck', type: 'forwardingStuck', threshold: 15, severity: 'major', channelIds: [1] },
      },
      backupFailed: {
        summary: 'Platform staff: the last scheduled backup failed (SQLite)',
        value: { name: 'Backup failed', type: 'backupFailed', severity: 'major', channelIds: [1] },
      },
    },
  })
  async createAlarmRule(@CallerScope() scope: ClientScope, @Body() dto: CreateAlarmRuleDto): Promise<AlarmRuleResponse> {
    return AlarmRuleResponse.from(await this.alarms.createRule(scope, dto));
  }

  @Patch('rules/:id')
  @ApiOperation({ summary: 'Change an alarm rule (a changed condition clears its open events)' })
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: AlarmRuleResponse })
  @ApiBody({
    type: UpdateAlarmRuleDto,
    examples: { threshold: { summary: 'Raise the threshold', value: { threshold: 245 } }, disable: { summary: 'Disable the rule', value: { enabled: false } } },
  })
  async updateAlarmRule(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number, @Body() dto: UpdateAlarmRuleDto): Promise<AlarmRuleResponse> {
    return AlarmRuleResponse.from(await this.alarms.updateRule(scope, id, dto));
  }

  @Delete('rules/:id')
  @ApiOperation({ summary: 'Delete an alarm rule and its events' })
  @HttpCode(204)
  @ApiErrors(400, 404)
  @ApiNoContentResponse({ description: 'The rule was deleted' })
  async deleteAlarmRule(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<void> {
    await this.alarms.deleteRule(scope, id);
  }

  @Get('metrics')
  @ApiOperation({ summary: 'Metrics a rule may watch: those the device (or the client’s devices) reports, then the known names, with units' })
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: [AlarmMetricResponse] })
  listAlarmMetrics(@CallerScope() scope: ClientScope, @Query() query: AlarmMetricQuery): Promise<AlarmMetricResponse[]> {
    return this.alarms.listMetrics(scope, query);
  }

  @Get('events')
  @ApiOperation({ summary: 'Alarm events, newest first (shelved ones hidden unless asked for)' })
  @ApiErrors(400)
  @ApiOkResponse({ type: [AlarmEventResponse] })
  listAlarmEvents(@CallerScope() scope: ClientScope, @Query() query: AlarmEventQuery): Promise<AlarmEventResponse[]> {
    return this.alarms.listEvents(scope, query);
  }

  @Get('events/counts')
  @ApiOperation({ summary: 'Active events: unacknowledged (the counter), acknowledged, shelved' })
  @ApiErrors(400)
  @ApiOkResponse({ type: AlarmCountsResponse })
  getAlarmCounts(@CallerScope() scope: ClientScope, @Query() query: AlarmMetricQuery): Promise<AlarmCountsResponse> {
    return this.alarms.counts(scope, query.clientId);
  }

  @Get('events/:id/history')
  @ApiOperation({ summary: 'Every transition of an event, in order (append-only)' })
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: [AlarmHistoryEntryResponse] })
  getAlarmEventHistory(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<AlarmHistoryEntryResponse[]> {
    return this.alarms.history(scope, id);
  }

  @Post('events/:id/ack')
  @ApiOperation({ summary: 'Acknowledge an event, with an optional comment' })
  // The body is optional: acknowledging without a word stays a plain POST, as before comments.
  @ApiBody({ type: AcknowledgeAlarmEventDto, required: false })
  @HttpCode(200)
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: AlarmEventResponse })
  @ApiBody({
    type: AcknowledgeAlarmEventDto,
    examples: {
      comment: { summary: 'With what was done', value: { comment: 'Tap changer checked, utility informed' } },
      plain: { summary: 'Without a comment', value: {} },
    },
  })
  acknowledgeAlarmEvent(
    @CallerScope() scope: ClientScope,
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdParam()) id: number,
    @Body() dto: AcknowledgeAlarmEventDto,
  ): Promise<AlarmEventResponse> {
    return this.alarms.acknowledge(scope, id, actorOf(principal), dto?.comment);
  }

  @Post('events/:id/shelve')
  @ApiOperation({ summary: 'Shelve an event: hidden, its notifications muted, until a time' })
  @HttpCode(200)
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: AlarmEventResponse })
  @ApiBody({
    type: ShelveAlarmEventDto,
    examples: { repair: { summary: 'Until the repair is done', value: { until: '2026-12-01T18:00:00Z', reason: 'Capacitor bank being replaced' } } },
  })
  shelveAlarmEvent(
    @CallerScope() scope: ClientScope,
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdParam()) id: number,
    @Body() dto: ShelveAlarmEventDto,
  ): Promise<AlarmEventResponse> {
    return this.alarms.shelve(scope, id, actorOf(principal), Date.parse(dto.until), dto.reason);
  }

  @Post('events/:id/unshelve')
  @ApiOperation({ summary: 'Unshelve an event before its time' })
  @HttpCode(200)
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: AlarmEventResponse })
  unshelveAlarmEvent(
    @CallerScope() scope: ClientScope,
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdParam()) id: number,
  ): Promise<AlarmEventResponse> {
    return this.alarms.unshelve(scope, id, actorOf(principal));
  }

  @Post('maintenance')
  @ApiOperation({ summary: 'A maintenance window for a device or a site: events kept, notifications muted' })
  @ApiErrors(400, 404)
  @ApiCreatedResponse({ type: MaintenanceWindowResponse })
  @ApiBody({
    type: CreateMaintenanceWindowDto,
    examples: {
      device: {
        summary: 'One meter, one afternoon',
        value: { deviceId: 1, from: '2026-12-01T13:00:00Z', to: '2026-12-01T17:00:00Z', reason: 'Panel A rewiring' },
      },
    },
  })
  createMaintenanceWindow(
    @CallerScope() scope: ClientScope,
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateMaintenanceWindowDto,
  ): Promise<MaintenanceWindowResponse> {
    return this.alarms.createMaintenance(scope, dto, actorOf(principal));
  }

  @Get('maintenance')
  @ApiOperation({ summary: 'Maintenance windows' })
  @ApiErrors(400)
  @ApiOkResponse({ type: [MaintenanceWindowResponse] })
  listMaintenanceWindows(@CallerScope() scope: ClientScope, @Query() query: MaintenanceWindowQuery): Promise<MaintenanceWindowResponse[]> {
    return this.alarms.listMaintenance(scope, query);
  }

  @Delete('maintenance/:id')
  @ApiOperation({ summary: 'Delete a maintenance window' })
  @HttpCode(204)
  @ApiErrors(400, 404)
  @ApiNoContentResponse({ description: 'The window was deleted' })
  async deleteMaintenanceWindow(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<void> {
    await this.alarms.deleteMaintenance(scope, id);
  }
}
