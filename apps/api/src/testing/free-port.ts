import { AddressInfo, createServer } from 'node:net';

/** A loopback port nobody listens on (taken, then released): for a server to start on, or a dead link. */
export const freePort = () =>
  new Promise<number>((done) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => done(port));
    });
  });
