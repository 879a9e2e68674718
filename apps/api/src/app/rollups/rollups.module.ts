import { Module } from '@nestjs/common';
import { RollupStore } from './rollup-store';

@Module({
  providers: [RollupStore],
  exports: [RollupStore],
})
export class RollupsModule {}
