import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { DevicesModule } from '../devices/devices.module';
import { RollupsModule } from '../rollups/rollups.module';
import { SitesModule } from '../sites/sites.module';
import { TariffsModule } from '../tariffs/tariffs.module';
import { EnergyController } from './energy.controller';
import { EnergyService } from './energy.service';

@Module({
  imports: [DevicesModule, ClientsModule, RollupsModule, SitesModule, TariffsModule],
  controllers: [EnergyController],
  providers: [EnergyService],
  exports: [EnergyService],
})
export class EnergyModule {}
