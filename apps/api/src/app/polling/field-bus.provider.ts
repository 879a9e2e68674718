import { Logger, Provider } from '@nestjs/common';
import { FieldBus } from '@pieng/connectors';

/** One FieldBus per application (it owns the serial ports and sockets); PollingService closes it on shutdown. */
export const fieldBusProvider: Provider = {
  provide: FieldBus,
  useFactory: () => {
    const log = new Logger('FieldBus');
    return new FieldBus({ logger: { warn: (m: string) => log.warn(m), debug: (m: string) => log.debug(m) } });
  },
};
