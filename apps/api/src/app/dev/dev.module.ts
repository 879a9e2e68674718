import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { DevicesModule } from '../devices/devices.module';
import { IngestModule } from '../ingest/ingest.module';
import { DevController } from './dev.controller';
import { DevService } from './dev.service';

@Module({ imports: [ClientsModule, DevicesModule, IngestModule], controllers: [DevController], providers: [DevService] })
export class DevModule {}
