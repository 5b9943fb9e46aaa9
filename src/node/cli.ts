/**
 * The `rulelm` command-line program (the package's `bin`): `rulelm eval --help`.
 *
 * @packageDocumentation
 */
import { main } from './main';

const controller = new AbortController();
process.once('SIGINT', () => {
  process.stderr.write('\nrulelm: stopping after the current response (Ctrl-C again to quit now; finished responses are kept)\n');
  controller.abort();
  process.once('SIGINT', () => process.exit(130));
});

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }, controller.signal);
