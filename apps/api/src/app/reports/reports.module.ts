import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { EnergyModule } from '../energy/energy.module';
import { LeasesModule } from '../leases/leases.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { RollupsModule } from '../rollups/rollups.module';
import { TariffsModule } from '../tariffs/tariffs.module';
import { MonthlyReportService } from './monthly-report.service';
import { ReportsController } from './reports.controller';
import { ReportScheduleSender } from './schedules/report-schedule-sender';
import { ReportSchedulesController } from './schedules/report-schedules.controller';
import { ReportSchedulesService } from './schedules/report-schedules.service';

/** The monthly report (PDF), and its schedules: e-mailed each month through a client's e-mail channel by the `alarms` lease holder. */
@Module({
  imports: [ClientsModule, EnergyModule, RollupsModule, TariffsModule, NotificationsModule, LeasesModule],
  // The schedules controller first: its static path (reports/schedules) is matched before any pattern of the reports one.
  controllers: [ReportSchedulesController, ReportsController],
  providers: [MonthlyReportService, ReportSchedulesService, ReportScheduleSender],
})
export class ReportsModule {}
