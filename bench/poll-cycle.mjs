// One poll cycle over 100 simulated Modbus TCP meters (100 ports, a child process serves them).
// Prints and returns: wall time of a cycle, its ratio to one meter's read time, CPU ms per reading.
// Usage: node bench/poll-cycle.mjs [meters]   or   import { run } from './poll-cycle.mjs'
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || join(here, '..', 'tsconfig.base.json');
require('@swc-node/register');
const { FieldBus, validateDeviceConfig } = require('../libs/connectors/src/index.ts');

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function run({ meters = 100, cycles = 5, print = true } = {}) {
  const child = fork(join(here, 'poll-cycle-simulators.cjs'), [String(meters)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ports = await new Promise((resolve, reject) => {
    child.once('message', (msg) => resolve(msg.ports));
    child.once('exit', (code) => reject(new Error(`simulators exited with ${code}`)));
  });
  const bus = new FieldBus();
  const devices = ports.map((port, i) => {
    const { config, errors } = validateDeviceConfig('modbus', { transport: 'tcp', host: '127.0.0.1', port, unitId: 1, driver: 'pzem004t', timeoutMs: 1000 });
    if (errors) throw new Error(JSON.stringify(errors));
    return { id: `bench-${i}`, deviceType: 'modbus', config };
  });
  try {
    const cycle = async () => {
      const started = performance.now();
      const results = await Promise.allSettled(devices.map((device) => bus.read(device)));
      const failed = results.filter((r) => r.status === 'rejected').length;
      if (failed) throw new Error(`${failed} reads failed: ${results.find((r) => r.status === 'rejected').reason.message}`);
      return performance.now() - started;
    };
    // First cycle opens the 100 connections.
    const firstCycleMs = await cycle();
    // One meter alone, connection already open: the baseline.
    const single = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      await bus.read(devices[0]);
      single.push(performance.now() - t0);
    }
    const singleReadMs = median(single);
    const walls = [];
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < cycles; i++) walls.push(await cycle());
    const cpu = process.cpuUsage(cpuBefore);
    const cycleMs = median(walls);
    const figures = {
      meters,
      firstCycleMs: round(firstCycleMs),
      cycleMs: round(cycleMs),
      singleReadMs: round(singleReadMs),
      ratioToSingleRead: round(cycleMs / singleReadMs),
      cpuMsPerReading: round((cpu.user + cpu.system) / 1000 / (cycles * meters), 3),
      targetCycleMs: 1000,
      withinTarget: cycleMs < 1000 && firstCycleMs < 1000,
    };
    if (print) {
      console.log(
        `poll cycle: ${meters} Modbus TCP meters in ${figures.cycleMs} ms (first cycle with connects ${figures.firstCycleMs} ms); ` +
          `one meter ${figures.singleReadMs} ms, ratio ${figures.ratioToSingleRead}x; CPU ${figures.cpuMsPerReading} ms per reading; ` +
          `target < 1000 ms: ${figures.withinTarget ? 'met' : 'MISSED'}`,
      );
    }
    return figures;
  } finally {
    await bus.close();
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

function round(value, digits = 2) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  run({ meters: Number(process.argv[2] || 100) }).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
