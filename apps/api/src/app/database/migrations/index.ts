import { InitialSchema1764160000000 } from './1764160000000-initial-schema';
import { Accounts1764170000000 } from './1764170000000-accounts';
import { Forwarding1764180000000 } from './1764180000000-forwarding';
import { Leases1764190000000 } from './1764190000000-leases';
import { AuditOutbox1764200000000 } from './1764200000000-audit-outbox';
import { Sessions1764210000000 } from './1764210000000-sessions';
import { ForwardKeysDeviceRevision1764220000000 } from './1764220000000-forward-keys-device-revision';
import { AlarmRulesVersion1764230000000 } from './1764230000000-alarm-rules-version';
import { DeviceReach1764240000000 } from './1764240000000-device-reach';
import { Rollups1764250000000 } from './1764250000000-rollups';
import { ClientTimezone1764255000000 } from './1764255000000-client-timezone';
import { Retention1764260000000 } from './1764260000000-retention';
import { MeasurementsByMonth1764260000001 } from './1764260000001-measurements-by-month';
import { Energy1764270000000 } from './1764270000000-energy';
import { SitesTariffs1764270000001 } from './1764270000001-sites-tariffs';
import { Mqtt1764270000002 } from './1764270000002-mqtt';
import { AlarmModel1764300000000 } from './1764300000000-alarm-model';
import { Notifications1764310000000 } from './1764310000000-notifications';
import { NotificationRecipientsDone1764310000001 } from './1764310000001-notification-recipients-done';
import { Baselines1764340000000 } from './1764340000000-baselines';
import { PlatformAlarms1764350000000 } from './1764350000000-platform-alarms';
import { ReportSchedules1764360000000 } from './1764360000000-report-schedules';

/** Every migration, in order. Listed explicitly because the server is bundled into one file. */
export const MIGRATIONS = [
  InitialSchema1764160000000,
  Accounts1764170000000,
  Forwarding1764180000000,
  Leases1764190000000,
  AuditOutbox1764200000000,
  Sessions1764210000000,
  ForwardKeysDeviceRevision1764220000000,
  AlarmRulesVersion1764230000000,
  DeviceReach1764240000000,
  Rollups1764250000000,
  ClientTimezone1764255000000,
  Retention1764260000000,
  MeasurementsByMonth1764260000001,
  Energy1764270000000,
  SitesTariffs1764270000001,
  Mqtt1764270000002,
  AlarmModel1764300000000,
  Notifications1764310000000,
  NotificationRecipientsDone1764310000001,
  Baselines1764340000000,
  PlatformAlarms1764350000000,
  ReportSchedules1764360000000,
];
