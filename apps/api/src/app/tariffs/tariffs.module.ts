import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ClientsModule } from '../clients/clients.module';
import { Site } from '../sites/entities/site.entity';
import { SitesModule } from '../sites/sites.module';
import { BandeirasController } from './bandeiras.controller';
import { BandeirasService } from './bandeiras.service';
import { Bandeira } from './entities/bandeira.entity';
import { Tariff } from './entities/tariff.entity';
import { TariffsController } from './tariffs.controller';
import { TariffsService } from './tariffs.service';

@Module({
  imports: [TypeOrmModule.forFeature([Tariff, Bandeira, Site]), ClientsModule, SitesModule],
  controllers: [TariffsController, BandeirasController],
  providers: [TariffsService, BandeirasService],
  exports: [TariffsService, BandeirasService],
})
export class TariffsModule {}
