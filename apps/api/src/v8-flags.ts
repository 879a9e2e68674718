import { setFlagsFromString } from 'node:v8';

/**
 * Imported first by main.ts, before the application's code allocates much. A plant server is small,
 * and a streaming export of 2 million values made the server's resident size grow by 70-250 MB: V8
 * promoted the export's short-lived pages (they wait on the client's socket) to the old generation,
 * which it then let grow before a full collection.
 * - No allocation-site pretenuring: those pages are not allocated straight in the old generation.
 * - Optimize for size: the old generation grows by a smaller factor before it is collected.
 * Measured on a 2-core machine (npm run bench, the export memory test): the export's growth
 * +23-39 MB (was +73-254 MB), idle size 129-140 MB (was 161-165), ingest with 50 alarm rules
 * 59-60k values/s with a 215 MB peak (58.7-63.5k with a 273-324 MB peak before).
 */
setFlagsFromString('--no-allocation-site-pretenuring');
setFlagsFromString('--optimize-for-size');
