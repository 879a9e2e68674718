import { Module } from '@nestjs/common';
import { AlarmTransitionSink } from '../alarms/alarm-transition';
import { ClientsModule } from '../clients/clients.module';
import { LeasesModule } from '../leases/leases.module';
import { ChannelDelivery } from './channel-delivery';
import { NotificationChannelsService } from './notification-channels.service';
import { NotificationDispatcher } from './notification-dispatcher';
import { NotificationOutbox } from './notification-outbox';
import { NotificationChannelsController, NotificationsController } from './notifications.controller';
import { NotificationsService } from './notifications.service';

/**
 * Alarm notifications: channels, the outbox the alarm model writes through AlarmTransitionSink,
 * and the dispatcher that sends it (on the instance holding the `alarms` lease).
 * AlarmsModule imports this module to get the sink.
 */
@Module({
  imports: [ClientsModule, LeasesModule],
  controllers: [NotificationChannelsController, NotificationsController],
  providers: [
    ChannelDelivery,
    NotificationChannelsService,
    NotificationOutbox,
    NotificationDispatcher,
    NotificationsService,
    { provide: AlarmTransitionSink, useExisting: NotificationOutbox },
  ],
  exports: [NotificationOutbox, AlarmTransitionSink, NotificationChannelsService, ChannelDelivery],
})
export class NotificationsModule {}
