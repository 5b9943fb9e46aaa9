// Runs the exact code of the guide's "Write your own processor" section: it is extracted from
// docs/guide.md, written to a module, imported, and used in a chain, a sequence, the trace and a
// real transformers.js generation.
import type { Processor as ProcessorType } from 'rulelm';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Chain, Processor, TokenBias, startSequence } from 'rulelm';
import { logitsProcessorList } from 'rulelm/transformers';
import { HAS_SHARED_MODEL, generateTokens, loadShared, loadTiny } from '../helpers/models';

const ROOT = resolve(__dirname, '../..');

/**
 * The first `ts` code block after a heading of docs/guide.md.
 *
 * @param heading The heading's text.
 * @returns The block's code.
 */
function blockAfter(heading: string): string {
  const guide = readFileSync(resolve(ROOT, 'docs/guide.md'), 'utf8');
  const at = guide.indexOf(`\n## ${heading}\n`);
  if (at < 0) throw new Error(`docs/guide.md has no "## ${heading}" section`);
  const block = /```ts\n([\s\S]*?)```/.exec(guide.slice(at));
  if (block === null) throw new Error(`the "## ${heading}" section has no ts block`);
  return block[1] as string;
}

type MaxOccurrencesClass = new (max: number) => ProcessorType<unknown> & { readonly max: number };
let MaxOccurrences: MaxOccurrencesClass;

beforeAll(async () => {
  const dir = resolve(ROOT, '.cache/docs-test');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, 'max-occurrences.ts');
  writeFileSync(file, blockAfter('Write your own processor'));
  ({ MaxOccurrences } = (await import(pathToFileURL(file).href)) as { MaxOccurrences: MaxOccurrencesClass });
});

describe('the guide\'s custom processor (MaxOccurrences)', () => {
  it('is a Processor and masks a token once it appeared max times in the response, not counting the prompt', () => {
    const processor = new MaxOccurrences(2);
    expect(processor).toBeInstanceOf(Processor);
    expect(Processor.isInstance(processor)).toBe(true);
    expect(processor.additive).toBe(false);
    const sequence = startSequence(processor, { prompt: [3, 3, 3], vocabSize: 6 });
    const row = (): Float32Array => Float32Array.from([0.5, 1, 2, 3, 4, 5]);
    expect([...sequence.process(row())]).toEqual([0.5, 1, 2, 3, 4, 5]); // the prompt's 3s do not count
    sequence.push(3);
    expect([...sequence.process(row())]).toEqual([0.5, 1, 2, 3, 4, 5]);
    sequence.push(4);
    sequence.push(3);
    expect([...sequence.process(row())]).toEqual([0.5, 1, 2, -Infinity, 4, 5]);
    sequence.append([4, 1]);
    expect([...sequence.process(row())]).toEqual([0.5, 1, 2, -Infinity, -Infinity, 5]);
  });

  it('works in a chain and in the trace, under its kind', () => {
    const chain = new Chain(new TokenBias({ biases: [{ token: 5, bias: 2 }] }), new MaxOccurrences(1));
    const sequence = startSequence(chain, { prompt: [1], vocabSize: 6 });
    sequence.push(2);
    const reports: { processorIndex: number; kind: string; changes: readonly { token: number; delta: number }[] }[] = [];
    const row = sequence.trace(new Float32Array(6), (changes) => reports.push(changes));
    expect([...row]).toEqual([0, 0, -Infinity, 0, 0, 2]);
    expect(reports).toEqual([
      { processorIndex: 0, kind: 'token-bias', changes: [{ token: 5, delta: 2 }] },
      { processorIndex: 1, kind: 'max-occurrences', changes: [{ token: 2, delta: -Infinity }] },
    ]);
  });

  // The real model: greedy stories260K repeats tokens; with the processor no token of the
  // response appears more than twice.
  it.skipIf(!HAS_SHARED_MODEL)('works in transformers.js generate() on stories260K through the adapter', async () => {
    const loaded = await loadShared();
    const most = (tokens: readonly number[]): number => Math.max(...[...new Set(tokens)].map((t) => tokens.filter((u) => u === t).length));
    const [base] = await generateTokens(loaded, 'Once upon a time', { max_new_tokens: 60 });
    expect(most(base as number[])).toBeGreaterThan(2);
    const [limited] = await generateTokens(loaded, 'Once upon a time', { max_new_tokens: 60, logits_processor: logitsProcessorList(new MaxOccurrences(2), { model: loaded.model, tokenizer: loaded.tokenizer }) });
    expect((limited as number[]).length).toBe(60);
    expect(most(limited as number[])).toBe(2);
  });

  it('works in transformers.js generate() on a generated model through the adapter', async () => {
    const loaded = await loadTiny();
    const [limited] = await generateTokens(loaded, 'a b', { max_new_tokens: 40, logits_processor: logitsProcessorList(new MaxOccurrences(1), { model: loaded.model, tokenizer: loaded.tokenizer }) });
    expect(new Set(limited).size).toBe((limited as number[]).length);
  });
});
