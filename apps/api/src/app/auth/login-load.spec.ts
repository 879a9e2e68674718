import { request as httpRequest } from 'node:http';
import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';
import { PasswordHasher } from './password-hasher';

interface Answer {
  status: number;
  retryAfter?: string;
}

/** A login from a given loopback address (all of 127.0.0.0/8 reaches the server on Linux), so that the per-address limit can be kept out of the way. */
function loginFrom(url: string, localAddress: string, body: object): Promise<Answer> {
  const { hostname, port } = new URL(url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: hostname,
        port,
        localAddress,
        method: 'POST',
        path: '/api/auth/login',
        agent: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('logins under load', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('checks at most 5 of 40 parallel wrong passwords for one account; the rest answer 429 at once', async () => {
    await t.http.post('/api/users').send({ email: 'victim@test.local', password: 'victim-password-1', role: 'viewer' }).expect(201);
    const verify = jest.spyOn(t.app.get(PasswordHasher), 'verify');
    try {
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => loginFrom(t.url, '127.0.0.2', { email: 'victim@test.local', password: `guess-${i}-xxxxxx` })),
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(35);
      expect(answers.filter((a) => a.status === 429).every((a) => Number(a.retryAfter) > 800 && Number(a.retryAfter) <= 900)).toBe(true);
      expect(verify).toHaveBeenCalledTimes(5);
      // Locked now, even with the right password, and without checking it.
      expect((await loginFrom(t.url, '127.0.0.2', { email: 'victim@test.local', password: 'victim-password-1' })).status).toBe(429);
      expect(verify).toHaveBeenCalledTimes(5);
    } finally {
      verify.mockRestore();
    }
  }, 30_000);

  it("keeps another client's one-reading ingest fast while 100 anonymous logins arrive at once", async () => {
    const { clientId, deviceId } = await seedDevice(t.http, 'Meter L', 'Client L');
    const key = (await t.http.post('/api/api-keys').send({ name: 'gateway', scope: 'ingest', clientId }).expect(201)).body.key as string;
    const ingestOnce = async (i: number) => {
      const started = performance.now();
      const res = await fetch(`${t.url}/api/ingest`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-API-Key': key },
        body: JSON.stringify({ readings: [{ deviceId, timestamp: Date.now() - 60_000 + i, metrics: { voltage: 230 } }] }),
      });
      if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
      return performance.now() - started;
    };
    for (let i = 0; i < 5; i++) await ingestOnce(i); // warm up the connection and the statements

    // Ten made-up emails from each of ten addresses: under both the per-account and the per-address limit.
    let flooding = true;
    const flood = Promise.all(
      Array.from({ length: 100 }, (_, i) => loginFrom(t.url, `127.0.0.${10 + (i % 10)}`, { email: `nobody${i}@test.local`, password: 'wrong-password-x' })),
    ).finally(() => (flooding = false));
    const latencies: number[] = [];
    for (let i = 100; flooding || latencies.length < 10; i++) latencies.push(await ingestOnce(i));
    const answers = await flood;

    const sorted = [...latencies].sort((a, b) => a - b);
    const p90 = sorted[Math.floor(0.9 * sorted.length)] ?? sorted[sorted.length - 1];
    const figures = {
      samples: latencies.length,
      medianMs: Math.round(median(latencies)),
      p90Ms: Math.round(p90),
      maxMs: Math.round(sorted[sorted.length - 1]),
    };
    // Measured on a busy 2-core machine (load 11-15): without the hashing queue one ingest waited 16 s behind the argon2 hashes
    // (with 10 samples, that one is the 90th percentile); with it the max was 340-780 ms, the median 7-25 ms. With other suites
    // and builds on both cores (load 8), single ingests stalled past 5 s for reasons of their own: the bound is on the 90th percentile.
    expect({ ...figures, medianBelow250: figures.medianMs < 250, p90Below2000: figures.p90Ms < 2000 }).toMatchObject({
      medianBelow250: true,
      p90Below2000: true,
    });
    // Every login is answered: wrong password (401), or refused at once while the queue is full (503 with Retry-After).
    expect(answers.filter((a) => a.status !== 401 && a.status !== 503)).toEqual([]);
    expect(answers.filter((a) => a.status === 503).every((a) => Number(a.retryAfter) > 0)).toBe(true);
  }, 60_000);
});
