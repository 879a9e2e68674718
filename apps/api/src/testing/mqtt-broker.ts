import { createBroker } from 'aedes';
import { createServer, type Server, type Socket } from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';

/**
 * An MQTT broker in the test process (aedes, MQTT 3.1.1 only: the app is started with MQTT_PROTOCOL_VERSION=4) on a loopback TCP port, so that API tests need no
 * broker installed. `stop()` takes it off the network, keeping its sessions and queued messages
 * (a broker restart with persistence); `start()` listens again on the same port.
 */
export interface TestBroker {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
  /** A client that publishes, as a meter would. */
  publisher(): Promise<MqttClient>;
}

export async function startTestBroker(): Promise<TestBroker> {
  const broker = createBroker();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        broker.handle(socket);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server?.address() as { port: number }).port;
        resolve();
      });
    });
  const unlisten = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await listen();
  const publishers: MqttClient[] = [];
  return {
    get url() {
      return `mqtt://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    stop: unlisten,
    start: listen,
    publisher: async () => {
      const client = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `meter-${publishers.length}-${process.pid}`, reconnectPeriod: 0 });
      publishers.push(client);
      return client;
    },
    close: async () => {
      await Promise.all(publishers.map((p) => p.endAsync(true)));
      await unlisten();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
