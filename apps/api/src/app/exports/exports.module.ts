import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { DevicesModule } from '../devices/devices.module';
import { EnergyModule } from '../energy/energy.module';
import { RollupsModule } from '../rollups/rollups.module';
import { ExportsController } from './exports.controller';
import { ExportsService } from './exports.service';

@Module({ imports: [DevicesModule, ClientsModule, RollupsModule, EnergyModule], controllers: [ExportsController], providers: [ExportsService] })
export class ExportsModule {}
