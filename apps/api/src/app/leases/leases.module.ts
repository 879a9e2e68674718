import { Module } from '@nestjs/common';
import { InstanceIdentity } from './instance-identity';
import { LeaseStore } from './lease-store';

/** Leases shared by the instances on one database (polling, forwarder), and this instance's identity. */
@Module({
  providers: [InstanceIdentity, LeaseStore],
  exports: [InstanceIdentity, LeaseStore],
})
export class LeasesModule {}
