import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { EnergyModule } from '../energy/energy.module';
import { RollupsModule } from '../rollups/rollups.module';
import { TariffsModule } from '../tariffs/tariffs.module';
import { MonthlyReportService } from './monthly-report.service';
import { ReportsController } from './reports.controller';

/** The monthly report (PDF). Scheduled e-mailing of it waits for the e-mail channels of the alarms work. */
@Module({ imports: [ClientsModule, EnergyModule, RollupsModule, TariffsModule], controllers: [ReportsController], providers: [MonthlyReportService] })
export class ReportsModule {}
