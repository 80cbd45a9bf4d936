/**
 * The `porth` command from the source tree, for tests that run it in a child process:
 *
 *   node --import tsx --conditions=@porth/source porth-cli.ts import legacy FILE.csv …
 *
 * The same as packages/portal-express/bin/porth.js (which runs the compiled dist/cli.js), without
 * needing a build first.
 */
import { main } from '../../../packages/portal-express/src/cli.js';

process.exitCode = await main(process.argv);
