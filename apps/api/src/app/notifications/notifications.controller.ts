import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { IdParam } from '../common/id-param';
import { CreateNotificationChannelDto } from './dto/create-notification-channel.dto';
import { ChannelTestResponse, NotificationChannelResponse } from './dto/notification-channel.response';
import { NotificationQuery } from './dto/notification.query';
import { NotificationResponse } from './dto/notification.response';
import { UpdateNotificationChannelDto } from './dto/update-notification-channel.dto';
import { NotificationChannelsService } from './notification-channels.service';
import { NotificationsService } from './notifications.service';

export class NotificationChannelQuery {
  @ApiPropertyOptional({ description: "Only this client's channels", example: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  clientId?: number;
}

@ApiTags('notifications')
@Controller('notification-channels')
export class NotificationChannelsController {
  constructor(private readonly channels: NotificationChannelsService) {}

  @Get()
  @ApiOperation({ summary: 'Notification channels the caller may see, with their last delivery and failures' })
  @ApiErrors(400)
  @ApiOkResponse({ type: [NotificationChannelResponse] })
  listNotificationChannels(@CallerScope() scope: ClientScope, @Query() query: NotificationChannelQuery): Promise<NotificationChannelResponse[]> {
    return this.channels.list(scope, query.clientId);
  }

  @Post()
  @ApiOperation({ summary: "Creates a channel (a webhook's signing secret is in this answer only)" })
  @ApiErrors(400, 403, 404)
  @ApiCreatedResponse({ type: NotificationChannelResponse })
  @ApiBody({
    type: CreateNotificationChannelDto,
    examples: {
      email: {
        summary: 'E-mail the maintenance team',
        value: {
          clientId: 1,
          name: 'Maintenance team e-mail',
          type: 'email',
          config: { to: ['ops@example.com'] },
          minSeverity: 'major',
          on: ['raised', 'cleared'],
        },
      },
      webhook: {
        summary: 'A signed webhook to the SCADA',
        value: {
          clientId: 1,
          name: 'SCADA',
          type: 'webhook',
          config: { url: 'https://scada.example.com/hooks/pieng' },
          on: ['raised', 'cleared', 'acknowledged'],
        },
      },
      telegram: {
        summary: 'A Telegram group',
        value: {
          clientId: 1,
          name: 'Plant group',
          type: 'telegram',
          config: { botToken: '123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11', chatId: '-1001234567890' },
          minSeverity: 'minor',
        },
      },
      sms: {
        summary: 'SMS to the on-call phone (critical and major)',
        value: { clientId: 1, name: 'On call', type: 'sms', config: { to: ['+5511987654321'] } },
      },
    },
  })
  createNotificationChannel(@CallerScope() scope: ClientScope, @Body() dto: CreateNotificationChannelDto): Promise<NotificationChannelResponse> {
    return this.channels.create(scope, dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One notification channel' })
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: NotificationChannelResponse })
  async getNotificationChannel(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<NotificationChannelResponse> {
    return this.channels.respond(await this.channels.get(scope, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Changes a channel; configuration fields left out are kept' })
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: NotificationChannelResponse })
  @ApiBody({
    type: UpdateNotificationChannelDto,
    examples: {
      pause: { summary: 'Pause a channel', value: { enabled: false } },
      severity: { summary: 'Only critical from now on', value: { minSeverity: 'critical' } },
    },
  })
  updateNotificationChannel(
    @CallerScope() scope: ClientScope,
    @Param('id', IdParam()) id: number,
    @Body() dto: UpdateNotificationChannelDto,
  ): Promise<NotificationChannelResponse> {
    return this.channels.update(scope, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Deletes a channel and its delivery log' })
  @ApiErrors(400, 404)
  @ApiNoContentResponse({ description: 'The channel was deleted' })
  async deleteNotificationChannel(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<void> {
    await this.channels.remove(scope, id);
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sends a test message now and says whether it was delivered (the reason only to platform staff)' })
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: ChannelTestResponse })
  testNotificationChannel(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<ChannelTestResponse> {
    return this.channels.test(scope, id);
  }
}

@ApiTags('notifications')
@Controller('notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @ApiOperation({ summary: 'The delivery log: each notification with its status, attempts and last error, newest first' })
  @ApiErrors(400)
  @ApiOkResponse({ type: [NotificationResponse] })
  listNotifications(@CallerScope() scope: ClientScope, @Query() query: NotificationQuery): Promise<NotificationResponse[]> {
    return this.notifications.list(scope, query);
  }
}
