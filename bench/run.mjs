// npm run bench: every benchmark, each printing its figures and its ratio to a baseline measured in the same run.
// BENCH_PG=1 (or a server URL such as postgres://postgres@127.0.0.1:5432) adds ingest on PostgreSQL, on a database it creates and drops.
import { benchPgServer } from './api-server.mjs';
import { run as ingest } from './ingest.mjs';
import { run as charts } from './charts.mjs';
import { run as energy } from './energy.mjs';
import { run as ingestPg } from './ingest-pg.mjs';
import { run as pollCycle } from './poll-cycle.mjs';
import { run as forwarding } from './forwarding.mjs';
import { run as hostileLoad } from './hostile-load.mjs';
import { run as retention } from './retention.mjs';
import { run as mqtt } from './mqtt.mjs';
import { run as lineTiming } from './line-timing.mjs';
import { run as analytics } from './analytics.mjs';
import { run as exportsBench } from './exports.mjs';

const results = {};
results.ingest = await ingest();
results.charts = await charts();
results.energy = await energy();
if (benchPgServer()) results.ingestPg = await ingestPg({ server: benchPgServer() });
results.pollCycle = await pollCycle();
results.forwarding = await forwarding();
results.hostileLoad = await hostileLoad();
results.retention = await retention();
results.mqtt = await mqtt();
results.lineTiming = await lineTiming();
results.analytics = await analytics();
results.exports = await exportsBench();
console.log('\nJSON:', JSON.stringify(results));
