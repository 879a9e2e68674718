// Child process of bench/poll-cycle.mjs: N simulated Modbus TCP meters, one port each,
// so the simulators' CPU is not counted as the poller's.
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || require('node:path').join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
const { startSimulator } = require('../apps/simulator/src/index.ts');

async function main() {
  const count = Number(process.argv[2] || 100);
  const sims = [];
  for (let i = 0; i < count; i++) {
    sims.push(await startSimulator({ tcpPort: 0, deterministic: true, meters: [{ model: 'pzem004t', slaveId: 1 }] }));
  }
  process.send({ ports: sims.map((s) => s.tcpPort) });
  process.on('message', async (msg) => {
    if (msg === 'stop') {
      await Promise.all(sims.map((s) => s.close()));
      process.exit(0);
    }
  });
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
