/**
 * The `rulelm` command-line program (the package's `bin`): `rulelm eval --help`.
 *
 * @packageDocumentation
 */

// @huggingface/transformers is an optional peer of rulelm: say how to get it instead of crashing
// (help works without it).
const wantsHelp = process.argv.length <= 2 || process.argv.slice(2).some((a) => a === '--help' || a === '-h' || a === 'help');
let hasTransformers = true;
try {
  import.meta.resolve('@huggingface/transformers');
} catch {
  hasTransformers = false;
}

if (!hasTransformers && !wantsHelp) {
  process.stderr.write(
    'rulelm: `rulelm eval` runs models with @huggingface/transformers, which is not installed.\n' +
      'Install it beside rulelm (npm install @huggingface/transformers), or run: npx -p rulelm -p @huggingface/transformers rulelm eval ...\n',
  );
  process.exitCode = 1;
} else if (!hasTransformers) {
  const { EVAL_USAGE } = await import('./args');
  process.stdout.write(`${EVAL_USAGE}\n`);
} else {
  const { main } = await import('./main');
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nrulelm: stopping after the current response (Ctrl-C again to quit now; finished responses are kept)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }, controller.signal);
}
