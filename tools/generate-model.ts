/**
 * CLI: writes a transformers.js-loadable ONNX causal LM with seeded random weights.
 *
 * @example
 * npx tsx tools/generate-model.ts --out .cache/models/tiny --arch llama --hidden 64 --layers 2 \
 *   --heads 4 --kv-heads 2 --intermediate 128 --seed 1 --tokenizer path/to/tokenizer.json
 */
import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { type Architecture, type GenerateModelOptions, createByteLevelTokenizer, generateModel } from './model-generator/index';

const USAGE = `Usage: npx tsx tools/generate-model.ts --out DIR [options]

  --out DIR                 output folder (required)
  --tokenizer FILE          tokenizer.json (default: built-in byte-level BPE tokenizer)
  --tokenizer-config FILE   tokenizer_config.json (default: a minimal one is written)
  --arch llama|gpt2         architecture (default llama)
  --vocab-size N            vocabulary size (default: tokenizer's largest id + 1)
  --hidden N                hidden size (default 64)
  --layers N                decoder layers (default 2)
  --heads N                 attention heads (default 4)
  --kv-heads N              key/value heads, llama only (default = heads)
  --head-dim N              head size (default hidden / heads)
  --intermediate N          MLP width (default 4*hidden for gpt2, ~8/3*hidden for llama)
  --max-positions N         max sequence length (default 2048 llama, 1024 gpt2)
  --seed N                  weight seed (default 0)
  --bos-id N|none           BOS token id (default from the tokenizer)
  --eos-id N[,N...]         EOS token id(s) (default from the tokenizer)
  --pad-id N|none           padding token id (default from the tokenizer)
  --tie-word-embeddings     share embeddings and LM head (llama; always on for gpt2)
  --logit-scale X           approximate std of the logits (default 4)
  --external-data auto|true|false   weights in onnx/model.onnx_data (default auto: if > 1.9 GB)
  --help                    show this text`;

const cliOptions = {
  out: { type: 'string' },
  tokenizer: { type: 'string' },
  'tokenizer-config': { type: 'string' },
  arch: { type: 'string' },
  'vocab-size': { type: 'string' },
  hidden: { type: 'string' },
  layers: { type: 'string' },
  heads: { type: 'string' },
  'kv-heads': { type: 'string' },
  'head-dim': { type: 'string' },
  intermediate: { type: 'string' },
  'max-positions': { type: 'string' },
  seed: { type: 'string' },
  'bos-id': { type: 'string' },
  'eos-id': { type: 'string' },
  'pad-id': { type: 'string' },
  'tie-word-embeddings': { type: 'boolean' },
  'logit-scale': { type: 'string' },
  'external-data': { type: 'string' },
  help: { type: 'boolean' },
} as const;

function parseCli(): ReturnType<typeof parseArgs<{ options: typeof cliOptions; strict: true }>> {
  try {
    return parseArgs({ options: cliOptions, strict: true });
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(1);
  }
}

const { values } = parseCli();

if (values.help === true || values.out === undefined) {
  console.log(USAGE);
  process.exit(values.help === true ? 0 : 1);
}

// Numbers are passed through unchecked; generateModel validates them and names the option.
const num = (text: string | undefined): number | undefined => (text === undefined ? undefined : Number(text));
const idOrNone = (text: string | undefined): number | null | undefined => (text === 'none' ? null : num(text));
const externalData = values['external-data'];

const builtIn = values.tokenizer === undefined ? createByteLevelTokenizer() : undefined;
const options: Record<string, unknown> = {
  outDir: values.out,
  tokenizer: values.tokenizer ?? builtIn?.tokenizer,
  tokenizerConfig: values['tokenizer-config'] ?? builtIn?.tokenizerConfig,
  arch: values.arch as Architecture | undefined,
  vocabSize: num(values['vocab-size']),
  hidden: num(values.hidden),
  layers: num(values.layers),
  heads: num(values.heads),
  kvHeads: num(values['kv-heads']),
  headDim: num(values['head-dim']),
  intermediate: num(values.intermediate),
  maxPositions: num(values['max-positions']),
  seed: num(values.seed),
  bosTokenId: idOrNone(values['bos-id']),
  eosTokenId: values['eos-id']?.split(',').map(Number),
  padTokenId: idOrNone(values['pad-id']),
  tieWordEmbeddings: values['tie-word-embeddings'],
  logitScale: num(values['logit-scale']),
  externalData: externalData === 'true' ? true : externalData === 'false' ? false : externalData,
};
for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];

const started = performance.now();
try {
  const info = await generateModel(options as unknown as GenerateModelOptions);
  const { dims } = info;
  console.log(
    `Generated ${dims.arch} model: vocab ${dims.vocabSize}, hidden ${dims.hidden}, layers ${dims.layers}, ` +
      `heads ${dims.heads}/${dims.kvHeads} kv, head_dim ${dims.headDim}, intermediate ${dims.intermediate}, seed ${dims.seed}`,
  );
  console.log(`${(info.parameterCount / 1e6).toFixed(2)}M parameters in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(`Special tokens: bos ${info.specialTokens.bos}, eos [${info.specialTokens.eos.join(', ')}], pad ${info.specialTokens.pad}`);
  for (const file of info.files) {
    const shown = relative(process.cwd(), file).startsWith('..') ? file : relative(process.cwd(), file);
    console.log(`  ${shown}  ${statSync(file).size.toLocaleString('en-US')} bytes`);
  }
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
