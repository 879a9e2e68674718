// First: V8 flags must be set before the application's code allocates.
import './v8-flags';
import { existsSync } from 'node:fs';
import { runServer } from './app/server';

// A .env in the working directory fills in what the real environment leaves unset.
if (existsSync('.env')) process.loadEnvFile('.env');

void runServer(process.argv.slice(2), process.env, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
}).then((result) => {
  // A one-shot command exits once stdout and stderr have drained: into a pipe (main.js openapi | jq) they are written asynchronously.
  if (typeof result === 'number') process.stdout.write('', () => process.stderr.write('', () => process.exit(result)));
});
