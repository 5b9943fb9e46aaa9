// The package as a user gets it: `npm pack`, installed into a fresh folder, then imported from
// ESM and CommonJS, type-checked under strict TypeScript, and run in transformers.js generation
// with transformers.js's own processors in one LogitsProcessorList.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LogitsProcessorList, RepetitionPenaltyLogitsProcessor } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { RuleLMLogitsProcessor, formatPrompt, hewitt2024ForModel } from 'rulelm/transformers';
import { typecheck } from '../helpers/typecheck';
import { HAS_SHARED_MODEL, SHARED_MODEL_DIR, generateTokens, loadShared } from '../helpers/models';

const ROOT = resolve(__dirname, '../..');
const DIR = join(ROOT, '.cache/package-test');
const node = (file: string): string => execFileSync(process.execPath, [file], { cwd: DIR, encoding: 'utf8' });

beforeAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  // dist/ is fresh (test/setup/build.ts); pack it as npm publishes it.
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', DIR], { cwd: ROOT, encoding: 'utf8' })) as { filename: string }[];
  const tarball = join(DIR, (packed[0] as { filename: string }).filename);
  writeFileSync(join(DIR, 'package.json'), JSON.stringify({ name: 'fresh-project', private: true, version: '1.0.0' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: DIR, stdio: 'ignore' });
  // transformers.js, as the user's own dependency (the optional peer).
  mkdirSync(join(DIR, 'node_modules/@huggingface'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules/@huggingface/transformers'), join(DIR, 'node_modules/@huggingface/transformers'), 'dir');
}, 300_000);

describe('the packed package in a fresh project', () => {
  it('ships dist, the changelog, the license and the notices, and no sources or tests', () => {
    const files = readdirSync(join(DIR, 'node_modules/rulelm'));
    expect(files).toEqual(expect.arrayContaining(['dist', 'package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'THIRD_PARTY_NOTICES.md']));
    expect(files).not.toContain('src');
    expect(files).not.toContain('test');
  });

  const check = `const names = ['EndOfSequenceRamp', 'RepetitionPenalty', 'TokenBias', 'ProductOfExperts', 'PositionBias', 'Chain', 'Processor'];
const out = names.map((name) => [name, typeof rulelm[name]]);
const ramp = new rulelm.EndOfSequenceRamp({ eosTokenIds: [2] });
const bias = new rulelm.TokenBias({ biases: [{ token: 1, bias: 2 }] });
const poe = new rulelm.ProductOfExperts({ experts: [{ processor: bias, weight: 1 }] });
const chain = new rulelm.Chain(ramp, new rulelm.RepetitionPenalty({ mode: 'presence', penalty: 1.5 }), poe);
out.push(['instanceof', ramp instanceof rulelm.EndOfSequenceRamp && chain instanceof rulelm.Processor && poe instanceof rulelm.ProductOfExperts]);
out.push(['members', chain.members.length, ramp.biasAt(125)]);
let error;
try { new rulelm.EndOfSequenceRamp({ eosTokenIds: 2, rampLength: -3 }); } catch (e) { error = e; }
out.push(['error', error.name, String(error).split(':')[0], rulelm.RuleLMError.isInstance(error), error.argument]);
console.log(JSON.stringify(out));`;
  const expected = [
    ['EndOfSequenceRamp', 'function'],
    ['RepetitionPenalty', 'function'],
    ['TokenBias', 'function'],
    ['ProductOfExperts', 'function'],
    ['PositionBias', 'function'],
    ['Chain', 'function'],
    ['Processor', 'function'],
    ['instanceof', true],
    ['members', 3, 7.5],
    ['error', 'RuleLMError', 'RuleLMError', true, 'rampLength'],
  ];

  it('gives classes to ESM import', () => {
    writeFileSync(join(DIR, 'esm.mjs'), `import * as rulelm from 'rulelm';\n${check}`);
    expect(JSON.parse(node('esm.mjs'))).toEqual(expected);
  });

  it('gives classes to CommonJS require', () => {
    writeFileSync(join(DIR, 'cjs.cjs'), `const rulelm = require('rulelm');\n${check}`);
    expect(JSON.parse(node('cjs.cjs'))).toEqual(expected);
  });

  it('shares one copy of each class between rulelm and rulelm/transformers, in CommonJS and ESM', () => {
    const probe = (load: (name: string) => string): string => `${load('rulelm')}
${load('rulelm/transformers')}
const vocabulary = core.createVocabulary({ pieces: ['<unk>', '<s>', '</s>', 'a'], eosTokenIds: 2 });
let error;
try { adapter.logitsProcessorList({}); } catch (e) { error = e; }
// The adapter finds a ramp made by the core (an instanceof check inside rulelm/transformers).
let ramp;
try { adapter.logitsProcessorList(new core.Chain(new core.EndOfSequenceRamp({ eosTokenIds: 2 })), { model: { config: { vocab_size: 8, eos_token_id: 5 } } }); } catch (e) { ramp = e; }
console.log(JSON.stringify([error instanceof core.RuleLMError, ramp instanceof core.RuleLMError && ramp.argument, vocabulary.size]));`;
    writeFileSync(join(DIR, 'shared.cjs'), probe((name) => `const ${name === 'rulelm' ? 'core' : 'adapter'} = require('${name}');`));
    writeFileSync(join(DIR, 'shared.mjs'), probe((name) => `import * as ${name === 'rulelm' ? 'core' : 'adapter'} from '${name}';`));
    expect(JSON.parse(node('shared.cjs'))).toEqual([true, 'eosTokenIds', 4]);
    expect(JSON.parse(node('shared.mjs'))).toEqual([true, 'eosTokenIds', 4]);
  });

  it('gives the same RuleLMLogitsProcessor class to ESM and CommonJS users of rulelm/transformers', () => {
    writeFileSync(join(DIR, 'adapter.mjs'), `import { RuleLMLogitsProcessor, logitsProcessorList } from 'rulelm/transformers';
import { LogitsProcessor } from '@huggingface/transformers';
import { TokenBias } from 'rulelm';
const list = logitsProcessorList(new TokenBias({ biases: [{ token: 1, bias: 2 }] }));
console.log(JSON.stringify([typeof RuleLMLogitsProcessor, list.processors[0] instanceof LogitsProcessor, list.processors[0] instanceof RuleLMLogitsProcessor]));`);
    expect(JSON.parse(node('adapter.mjs'))).toEqual(['function', true, true]);
  });

  it('type-checks under strict TypeScript (bundler resolution): classes, and a LogitsProcessorList mixing transformers.js processors with rulelm\'s, with no casts', () => {
    const file = join(DIR, 'user.ts');
    writeFileSync(
      file,
      `import { AutoModelForCausalLM, AutoTokenizer, LogitsProcessorList, RepetitionPenaltyLogitsProcessor } from '@huggingface/transformers';
import { Chain, EndOfSequenceRamp, ProductOfExperts, Processor, RepetitionPenalty, TokenBias, hewitt2024 } from 'rulelm';
import { RuleLMLogitsProcessor, logitsProcessorList } from 'rulelm/transformers';

const ramp: EndOfSequenceRamp = new EndOfSequenceRamp({ eosTokenIds: [2] });
const chain: Chain = new Chain(ramp, new RepetitionPenalty({ mode: 'presence', penalty: 1.5 }), new TokenBias({ biases: [{ token: 1, bias: 1 }] }));
const poe = new ProductOfExperts({ experts: [{ processor: chain, weight: 1 }] });
const asBase: Processor = poe;
const tokenizer = await AutoTokenizer.from_pretrained('stories260K');
const model = await AutoModelForCausalLM.from_pretrained('stories260K');
const list = new LogitsProcessorList();
list.push(new RepetitionPenaltyLogitsProcessor(1.3));
list.push(new RuleLMLogitsProcessor(hewitt2024(tokenizer, { eosTokenIds: [2, 1] }), { model, tokenizer }));
const other = new LogitsProcessorList();
other.push(new RuleLMLogitsProcessor(asBase, { model, tokenizer }));
other.push(new RepetitionPenaltyLogitsProcessor(1.3));
await model.generate({ ...tokenizer('Once'), max_new_tokens: 4, logits_processor: list });
await model.generate({ ...tokenizer('Once'), max_new_tokens: 4, logits_processor: logitsProcessorList(chain, { model, tokenizer }) });
export { other };
`,
    );
    const problems = typecheck([file]).map((p) => p.message);
    expect(problems).toEqual([]);
  });

  it('publishes types that need nothing the user does not have (checked with skipLibCheck off)', () => {
    const file = join(DIR, 'types-only.ts');
    writeFileSync(file, `import { EndOfSequenceRamp, parseSpec, toSpec } from 'rulelm';\nimport { evaluateIfeval } from 'rulelm/eval';\nexport const spec = toSpec(new EndOfSequenceRamp({ eosTokenIds: [2] }));\nexport const back = parseSpec(spec);\nexport { evaluateIfeval };\n`);
    const problems = typecheck([file], { dom: false, skipLibCheck: false }).map((p) => `${p.file ?? ''}: ${p.message}`);
    expect(problems).toEqual([]);
  });

  // The installed package generates on the real model with transformers.js's repetition penalty
  // and rulelm's preset in one list, exactly as the same list built from this repository's source.
  it.skipIf(!HAS_SHARED_MODEL)('generates on stories260K from a LogitsProcessorList with RepetitionPenaltyLogitsProcessor and the adapter', async () => {
    writeFileSync(
      join(DIR, 'generate.mjs'),
      `import { AutoModelForCausalLM, AutoTokenizer, LogitsProcessorList, RepetitionPenaltyLogitsProcessor, env } from '@huggingface/transformers';
import { RuleLMLogitsProcessor, formatPrompt, hewitt2024ForModel } from 'rulelm/transformers';
env.allowRemoteModels = false;
env.localModelPath = ${JSON.stringify(`${resolve(SHARED_MODEL_DIR, '..')}/`)};
const tokenizer = await AutoTokenizer.from_pretrained('stories260K');
const model = await AutoModelForCausalLM.from_pretrained('stories260K', { dtype: 'fp32' });
const list = new LogitsProcessorList();
list.push(new RepetitionPenaltyLogitsProcessor(1.2));
list.push(new RuleLMLogitsProcessor(hewitt2024ForModel(model, tokenizer), { model, tokenizer }));
const formatted = formatPrompt(tokenizer, 'Tell me a story about a dog.');
const inputs = tokenizer(formatted.text, { add_special_tokens: formatted.addSpecialTokens });
const output = await model.generate({ ...inputs, max_new_tokens: 256, do_sample: false, logits_processor: list });
console.log(JSON.stringify(output.tolist()[0].slice(inputs.input_ids.dims[1]).map(Number)));`,
    );
    const installed = JSON.parse(node('generate.mjs')) as number[];
    const loaded = await loadShared();
    const list = new LogitsProcessorList();
    list.push(new RepetitionPenaltyLogitsProcessor(1.2));
    list.push(new RuleLMLogitsProcessor(hewitt2024ForModel(loaded.model, loaded.tokenizer), { model: loaded.model, tokenizer: loaded.tokenizer }));
    const prompt = formatPrompt(loaded.tokenizer, 'Tell me a story about a dog.').text;
    const [fromSource] = await generateTokens(loaded, prompt, { max_new_tokens: 256, logits_processor: list });
    expect(installed).toEqual(fromSource);
    expect(installed.length).toBeLessThan(256); // the preset's EOS ramp ended it
    expect(installed.at(-1)).toBe(1);
  });

  it('has a package.json with repository, homepage and bugs', () => {
    const manifest = JSON.parse(readFileSync(join(DIR, 'node_modules/rulelm/package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.repository).toEqual({ type: 'git', url: 'git+https://github.com/rulelm/rulelm.git' });
    expect(manifest.homepage).toBe('https://github.com/rulelm/rulelm#readme');
    expect(manifest.bugs).toEqual({ url: 'https://github.com/rulelm/rulelm/issues' });
    expect(existsSync(join(DIR, 'node_modules/rulelm/dist/index.d.ts'))).toBe(true);
  });
});
