/**
 * Runs one of the Node examples (`examples/node/<name>.ts`) on a model that is there on a fresh
 * clone: `--model` as given, else the shared pretrained stories260K beside the project
 * (`../shared/models/stories260K`), else a tiny random-weight model generated under
 * `.cache/models`. Every other argument is passed on to the example.
 *
 *   npx tsx tools/run-example.ts <name> [example arguments]
 *   npm run example [-- --max-new-tokens 64 --instruction "..."]   # compare
 *
 * `experts` also gets `--amateur`, unless given: a random-weight model generated with the base
 * model's tokenizer.
 *
 * The examples themselves import only the package's public names and take `--model`, so that
 * one can be copied into a project unchanged; this runner is what needs the repository.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureGguf } from './gguf/index';
import { ensureTinyModel } from './model-generator/index';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = join(ROOT, 'examples/node');
/** The shared pretrained model beside the project. */
const SHARED_MODEL = resolve(ROOT, '../shared/models/stories260K');

const [name, ...rest] = process.argv.slice(2);
const names = readdirSync(EXAMPLES)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -'.ts'.length));
if (name === undefined || !names.includes(name)) {
  console.error(`Usage: tsx tools/run-example.ts <name> [example arguments]; <name> is one of ${names.join(', ')}${name === undefined ? '' : `, not ${JSON.stringify(name)}`}.`);
  process.exit(2);
}

// What the example was given (it checks its own arguments; unknown ones are passed on as they are).
const given = parseArgs({ args: rest, options: { model: { type: 'string' }, amateur: { type: 'string' } }, strict: false, allowPositionals: true }).values;
const args = [...rest];
let model = typeof given.model === 'string' ? given.model : undefined;
if (model === undefined) {
  if (existsSync(join(SHARED_MODEL, 'onnx', 'model.onnx'))) {
    model = SHARED_MODEL;
    console.error('[example] model: stories260K, a real pretrained 260K-parameter Llama (../shared/models/stories260K)');
  } else {
    model = await ensureTinyModel();
    console.error(`[example] model: a generated tiny model with random weights (${model}); ../shared/models/stories260K was not found`);
  }
  args.unshift('--model', model);
}
// llama-cpp takes a GGUF: the model folder's, written by tools/gguf into .cache/gguf. Passed as a
// last --model, which the example's parseArgs takes over the folder (given as `--model <folder>`
// or `--model=<folder>`).
if (name === 'llama-cpp' && existsSync(join(model, 'config.json'))) {
  const gguf = ensureGguf(model);
  console.error(`[example] GGUF: ${gguf} (tools/gguf, from ${model})`);
  args.push('--model', gguf);
}
if (name === 'experts' && given.amateur === undefined && existsSync(join(model, 'tokenizer.json'))) {
  const folder = resolve(model);
  const amateur = await ensureTinyModel(`amateur-for-${basename(folder)}`, { tokenizer: join(folder, 'tokenizer.json'), tokenizerConfig: join(folder, 'tokenizer_config.json'), seed: 3 });
  console.error(`[example] amateur: a random-weight model with the base model's tokenizer (${amateur})`);
  args.push('--amateur', amateur);
}

const run = spawnSync(process.execPath, ['--import', 'tsx', join(EXAMPLES, `${name}.ts`), ...args], { cwd: ROOT, stdio: 'inherit' });
if (run.error !== undefined) throw run.error;
process.exit(run.status ?? 1);
