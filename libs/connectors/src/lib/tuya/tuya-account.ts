import { tuyaBaseUrl, type TuyaDeviceConfig } from '../config/device-config';
import { FieldBusError } from '../errors';
import { TuyaClient, TUYA_BATCH_LIMIT, type TuyaDataPointValue } from './tuya-client';

interface PendingTuyaRead {
  deviceId: string;
  resolve: (status: TuyaDataPointValue[]) => void;
  reject: (error: Error) => void;
}

/**
 * One Tuya cloud project as one client uses it (base URL, access id, secret) with its API client
 * and the reads waiting to be batched. Two clients naming the same access id never share one: a
 * token obtained with the right secret must not serve another client, nor a wrong secret lock
 * out the right one.
 */
export class TuyaAccount {
  readonly client: TuyaClient;
  readonly devices = new Set<string>();
  /** FieldBus device ids that read through this account (a test read's account goes with it). */
  readonly users = new Set<string>();
  private pending: PendingTuyaRead[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    config: TuyaDeviceConfig,
    options: { fetch?: typeof fetch; now?: () => number },
    private readonly windowMs: number,
  ) {
    this.client = new TuyaClient({
      baseUrl: tuyaBaseUrl(config),
      accessId: config.accessId,
      accessSecret: config.accessSecret,
      fetch: options.fetch,
      now: options.now,
    });
  }

  status(deviceId: string): Promise<TuyaDataPointValue[]> {
    this.devices.add(deviceId);
    return new Promise((resolve, reject) => {
      this.pending.push({ deviceId, resolve, reject });
      if (this.pending.length >= TUYA_BATCH_LIMIT) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.windowMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0, TUYA_BATCH_LIMIT);
    if (this.pending.length > 0) this.timer = setTimeout(() => this.flush(), 0);
    if (batch.length === 0) return;
    const ids = [...new Set(batch.map((read) => read.deviceId))];
    this.client.devicesStatus(ids).then(
      (statuses) => {
        for (const read of batch) {
          const status = statuses.get(read.deviceId);
          if (status) read.resolve(status);
          else read.reject(new FieldBusError('cloud', `Tuya device ${read.deviceId} is not in this cloud project or sent no status`));
        }
      },
      (error: Error) => batch.forEach((read) => read.reject(error)),
    );
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.splice(0).forEach((read) => read.reject(new FieldBusError('cloud', 'the field bus is shutting down')));
  }
}
