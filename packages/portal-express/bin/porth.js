#!/usr/bin/env node
// The `porth` command. Runs the compiled CLI; `npm install` (or `npm run build`) compiles it.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('porth is not built yet: run `npm run build` in the repository root.\n');
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv);
