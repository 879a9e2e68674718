// An RS485 line of 5 PZEM-004T at 9600 8N1 (a socat pty pair; the simulator takes the wire time, --baud),
// polled as fast as the line allows, against the wire-time limit computed from the protocol tables:
// request 8 bytes + t3.5 + reply 25 bytes + t3.5 = 41.7 ms a read, 24.0 reads/s. Target >= 0.9 x the limit.
// Then meter 5 goes dead: it is retried on the poller's back-off (nextPollDelayMs) and must cost the line
// at most one timeout per back-off step.
// Usage: node bench/line-timing.mjs   or   import { run } from './line-timing.mjs'
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadavg, cpus } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || join(here, '..', 'tsconfig.base.json');
require('@swc-node/register');
const { FieldBus, validateDeviceConfig, transactionWireTimeMs, nextPollDelayMs } = require('../libs/connectors/src/index.ts');
const { startPtyCable } = require('../apps/simulator/src/app/pty-cable.ts');

const round = (n, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const SERIAL = { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 };
const TIMEOUT_MS = 200;

export async function run({ seconds = 6, deadSeconds = 8, print = true } = {}) {
  const cable = await startPtyCable();
  const child = fork(join(here, 'line-timing-simulator.cjs'), [cable.a], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = (msg, answer) =>
    new Promise((resolve) => {
      child.once('message', (m) => m === answer && resolve());
      if (msg !== undefined) child.send(msg);
    });
  await ask(undefined, 'ready');
  const bus = new FieldBus();
  const devices = [1, 2, 3, 4, 5].map((slaveId) => {
    const { config, errors } = validateDeviceConfig('modbus', {
      transport: 'rtu',
      port: cable.b,
      ...SERIAL,
      slaveId,
      driver: 'pzem004t',
      timeoutMs: TIMEOUT_MS,
    });
    if (errors) throw new Error(JSON.stringify(errors));
    return { id: `pzem-${slaveId}`, deviceType: 'modbus', config, clientId: null };
  });
  try {
    const wireMs = transactionWireTimeMs(SERIAL, 8, 25);
    const limit = 1000 / wireMs;
    // Warm-up: opens the port.
    for (const d of devices) await bus.read(d);

    // 1. Healthy line, round robin as fast as allowed.
    let reads = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      await bus.read(devices[reads % devices.length]);
      reads += 1;
    }
    const healthyPerSec = reads / ((performance.now() - t0) / 1000);

    // 2. Meter 5 dead: the four others as fast as allowed, meter 5 on the poller's back-off (interval 1 s).
    await ask({ silent: 5 }, 'silenced');
    const live = devices.slice(0, 4);
    const dead = devices[4];
    let failures = 0;
    let deadDueAt = performance.now();
    const deadAttempts = [];
    let liveReads = 0;
    const t1 = performance.now();
    while (performance.now() - t1 < deadSeconds * 1000) {
      if (performance.now() >= deadDueAt) {
        const started = performance.now();
        try {
          await bus.read(dead);
        } catch {
          failures += 1;
        }
        const ms = performance.now() - started;
        deadAttempts.push({ at: round((started - t1) / 1000, 2), ms: round(ms, 1) });
        deadDueAt = started + nextPollDelayMs(1000, failures);
        continue;
      }
      await bus.read(live[liveReads % live.length]);
      liveReads += 1;
    }
    const elapsed = (performance.now() - t1) / 1000;
    const deadLineMs = deadAttempts.reduce((s, a) => s + a.ms, 0);
    // One attempt may cost: its timeout + its request on the wire + t3.5 (8 + 3.5 characters = 12.0 ms) + a timer's lateness.
    const attemptBudgetMs = TIMEOUT_MS + (11.5 * 10) / 9.6 + 15;
    const figures = {
      meters: 5,
      line: '9600 8N1 (pty, simulated wire time)',
      wireMsPerRead: round(wireMs, 2),
      limitReadsPerSec: round(limit, 2),
      readsPerSec: round(healthyPerSec, 2),
      ratioToLimit: round(healthyPerSec / limit, 3),
      target: 0.9,
      // Each read waits on two timers (the simulator's wire time, the master's t3.5): on a loaded machine their lateness adds up.
      loadAverage: round(loadavg()[0], 1),
      cores: cpus().length,
      deadMeter: {
        timeoutMs: TIMEOUT_MS,
        windowSec: round(elapsed, 1),
        attempts: deadAttempts,
        lineMsSpent: round(deadLineMs, 1),
        worstAttemptMs: round(Math.max(...deadAttempts.map((a) => a.ms)), 1),
        attemptBudgetMs: round(attemptBudgetMs, 1),
        liveReadsPerSec: round(liveReads / elapsed, 2),
        // What the dead meter left of the healthy line: (window - its timeouts) / window.
        liveShareExpected: round((elapsed * 1000 - deadLineMs) / (elapsed * 1000), 3),
      },
    };
    figures.ok = figures.ratioToLimit >= 0.9 && figures.deadMeter.worstAttemptMs <= attemptBudgetMs;
    if (print) {
      console.log(`\nline timing: ${figures.meters} PZEM-004T at ${figures.line}`);
      console.log(
        `  ${figures.readsPerSec} reads/s against the wire-time limit ${figures.limitReadsPerSec} (${figures.wireMsPerRead} ms a read): ${figures.ratioToLimit} x (target >= 0.9; load average ${figures.loadAverage} on ${figures.cores} cores)`,
      );
      console.log(
        `  dead meter (timeout ${TIMEOUT_MS} ms, back-off from 1 s): ${deadAttempts.length} attempts in ${figures.deadMeter.windowSec} s at ${deadAttempts.map((a) => `${a.at} s`).join(', ')}, each at most ${figures.deadMeter.worstAttemptMs} ms (budget ${figures.deadMeter.attemptBudgetMs} ms); the 4 live meters ${figures.deadMeter.liveReadsPerSec} reads/s`,
      );
    }
    return figures;
  } finally {
    await bus.close();
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
    await cable.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await run();
  console.log(JSON.stringify(figures));
}
