import { Module } from '@nestjs/common';
import { AlarmsLease } from './alarms-lease';
import { InstanceIdentity } from './instance-identity';
import { LeaseStore } from './lease-store';

/** Leases shared by the instances on one database (polling, forwarder, MQTT, alarms), and this instance's identity. */
@Module({
  providers: [InstanceIdentity, LeaseStore, AlarmsLease],
  exports: [InstanceIdentity, LeaseStore, AlarmsLease],
})
export class LeasesModule {}
