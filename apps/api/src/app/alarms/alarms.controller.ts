import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOperation, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { IdParam } from '../common/id-param';
import { AlarmsService } from './alarms.service';
import { AlarmEventQuery } from './dto/alarm-event.query';
import { AlarmEventResponse } from './dto/alarm-event.response';
import { AlarmRuleQuery } from './dto/alarm-rule.query';
import { AlarmRuleResponse } from './dto/alarm-rule.response';
import { CreateAlarmRuleDto } from './dto/create-alarm-rule.dto';
import { UpdateAlarmRuleDto } from './dto/update-alarm-rule.dto';

@ApiTags('alarms')
@Controller('alarms')
export class AlarmsController {
  constructor(private readonly alarms: AlarmsService) {}

  @Get('rules')
  @ApiErrors(400)
  @ApiOkResponse({ type: [AlarmRuleResponse] })
  @ApiOperation({ summary: 'List alarm rules of the clients you may see' })
  async listAlarmRules(@CallerScope() scope: ClientScope, @Query() query: AlarmRuleQuery): Promise<AlarmRuleResponse[]> {
    return (await this.alarms.listRules(scope, query)).map(AlarmRuleResponse.from);
  }

  @Post('rules')
  @ApiErrors(400, 404)
  @ApiCreatedResponse({ type: AlarmRuleResponse })
  @ApiOperation({ summary: 'Create an alarm rule on a metric of a device, or of every device of a client' })
  @ApiBody({ type: CreateAlarmRuleDto, examples: { overvoltage: { summary: 'Overvoltage on every meter of client 1', value: { clientId: 1, name: 'Overvoltage', metric: 'voltage', operator: '>', threshold: 242 } } } })
  async createAlarmRule(@CallerScope() scope: ClientScope, @Body() dto: CreateAlarmRuleDto): Promise<AlarmRuleResponse> {
    return AlarmRuleResponse.from(await this.alarms.createRule(scope, dto));
  }

  @Patch('rules/:id')
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: AlarmRuleResponse })
  @ApiOperation({ summary: 'Change an alarm rule (threshold, operator, enabled)' })
  @ApiBody({ type: UpdateAlarmRuleDto, examples: { threshold: { summary: 'Raise the threshold', value: { threshold: 245 } }, disable: { summary: 'Disable the rule', value: { enabled: false } } } })
  async updateAlarmRule(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number, @Body() dto: UpdateAlarmRuleDto): Promise<AlarmRuleResponse> {
    return AlarmRuleResponse.from(await this.alarms.updateRule(scope, id, dto));
  }

  @Delete('rules/:id')
  @HttpCode(204)
  @ApiErrors(400, 404)
  @ApiNoContentResponse({ description: 'The rule was deleted' })
  @ApiOperation({ summary: 'Delete an alarm rule (its events are kept)' })
  async deleteAlarmRule(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<void> {
    await this.alarms.deleteRule(scope, id);
  }

  @Get('events')
  @ApiErrors(400)
  @ApiOkResponse({ type: [AlarmEventResponse] })
  @ApiOperation({ summary: 'List alarm events, newest first (active, acknowledged filters)' })
  listAlarmEvents(@CallerScope() scope: ClientScope, @Query() query: AlarmEventQuery): Promise<AlarmEventResponse[]> {
    return this.alarms.listEvents(scope, query);
  }

  @Post('events/:id/ack')
  @HttpCode(200)
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: AlarmEventResponse })
  @ApiOperation({ summary: 'Acknowledge an alarm event' })
  acknowledgeAlarmEvent(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<AlarmEventResponse> {
    return this.alarms.acknowledge(scope, id);
  }
}
