// npm run bench: every benchmark, each printing its figures and its ratio to a baseline measured in the same run.
import { run as ingest } from './ingest.mjs';
import { run as pollCycle } from './poll-cycle.mjs';
import { run as forwarding } from './forwarding.mjs';
import { run as hostileLoad } from './hostile-load.mjs';
import { run as retention } from './retention.mjs';

const results = {};
results.ingest = await ingest();
results.pollCycle = await pollCycle();
results.forwarding = await forwarding();
results.hostileLoad = await hostileLoad();
results.retention = await retention();
console.log('\nJSON:', JSON.stringify(results));
