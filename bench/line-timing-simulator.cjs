// Child process of bench/line-timing.mjs: 5 PZEM-004T on one end of a pty pair, taking the wire time
// of 9600 8N1 (the simulator's --baud), so that its CPU is not counted as the poller's.
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || require('node:path').join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
const { startSimulator } = require('../apps/simulator/src/index.ts');

async function main() {
  const sim = await startSimulator({
    serialPath: process.argv[2],
    deterministic: true,
    line: { baudRate: 9600 },
    meters: [1, 2, 3, 4, 5].map((slaveId) => ({ model: 'pzem004t', slaveId })),
  });
  process.send('ready');
  process.on('message', async (msg) => {
    if (msg && msg.silent !== undefined) {
      sim.setSilent(msg.silent, true);
      process.send('silenced');
    }
    if (msg === 'stop') {
      await sim.close();
      process.exit(0);
    }
  });
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
