import { Module } from '@nestjs/common';
import { RollupBackfill } from './rollup-backfill';
import { RollupStore } from './rollup-store';

@Module({
  providers: [RollupStore, RollupBackfill],
  exports: [RollupStore],
})
export class RollupsModule {}
