import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { DevicesModule } from '../devices/devices.module';
import { RollupsModule } from '../rollups/rollups.module';
import { EnergyController } from './energy.controller';
import { EnergyService } from './energy.service';

@Module({ imports: [DevicesModule, ClientsModule, RollupsModule], controllers: [EnergyController], providers: [EnergyService] })
export class EnergyModule {}
