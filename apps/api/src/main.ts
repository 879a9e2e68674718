import { existsSync } from 'node:fs';
import { runServer } from './app/server';

// A .env in the working directory fills in what the real environment leaves unset.
if (existsSync('.env')) process.loadEnvFile('.env');

void runServer(process.argv.slice(2), process.env, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
}).then((result) => {
  if (typeof result === 'number') process.exit(result);
});
