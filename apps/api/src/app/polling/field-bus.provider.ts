import { Logger, Provider } from '@nestjs/common';
import { FieldBus } from '@pieng/connectors';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/** One FieldBus per application (it owns the serial ports and sockets); PollingService closes it on shutdown. */
export const fieldBusProvider: Provider = {
  provide: FieldBus,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => {
    const log = new Logger('FieldBus');
    // The plant-network policy is applied again at every connect of a device whose settings a client's user chose.
    return new FieldBus({ logger: { warn: (m: string) => log.warn(m), debug: (m: string) => log.debug(m) }, plantNetwork: config.network });
  },
};
