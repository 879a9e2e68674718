import { Injectable } from '@nestjs/common';
import { ClientsService } from '../clients/clients.service';
import { ALL_CLIENTS } from '../common/client-scope';
import { DevicesService } from '../devices/devices.service';
import { IngestService } from '../ingest/ingest.service';
import { ValidReading } from '../ingest/ingest-validation';

@Injectable()
export class DevService {
  constructor(
    private readonly clients: ClientsService,
    private readonly devices: DevicesService,
    private readonly ingest: IngestService,
  ) {}

  /** 40 readings a minute apart ending now, through the normal ingest path, marked as demo data. */
  async createDemo(): Promise<{ clientId: number; deviceId: number; readings: number }> {
    const client = await this.clients.create(ALL_CLIENTS, { name: 'Demo plant' });
    const device = await this.devices.create(ALL_CLIENTS, { clientId: client.id, name: 'Demo meter', deviceType: 'api', pollIntervalSec: 60, config: {} });
    const end = Math.floor(Date.now() / 60_000) * 60_000;
    const readings: ValidReading[] = [];
    let energy = 125_000;
    for (let i = 0; i < 40; i++) {
      const voltage = +(220 + 4 * Math.sin(i / 6)).toFixed(1);
      const current = +(4 + 1.5 * Math.sin(i / 9 + 1)).toFixed(3);
      const powerFactor = 0.95;
      const power = +(voltage * current * powerFactor).toFixed(1);
      energy += Math.round(power / 60);
      readings.push({ deviceId: device.id, ts: end - (39 - i) * 60_000, metrics: { voltage, current, power, energy, frequency: 60, powerFactor } });
    }
    await this.ingest.ingest(readings, ALL_CLIENTS, 'demo');
    return { clientId: client.id, deviceId: device.id, readings: readings.length };
  }
}
