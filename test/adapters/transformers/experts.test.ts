import type { Loaded } from '../../helpers/models';
import { Tensor, TextStreamer } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { Chain, hewitt2024, Processor, RepetitionPenalty, RuleLMError, TokenBias } from '../../../src/index';
import { baseTimesRules, contrastiveDecoding, dexperts, generateWithExperts, logitsProcessorList, proxyTuning } from '../../../src/adapters/transformers/index';
import { ensureTinyModel } from '../../../tools/model-generator/index';
import { generateTokens, HAS_SHARED_MODEL, loadFolder, loadShared, loadTiny } from '../../helpers/models';
import { loadTokenizer } from '../../helpers/tokenizers';

const PROMPTS = ['Once upon a time', 'The little dog ran'];
const loadSecond = async (): Promise<Loaded> => loadFolder(await ensureTinyModel('tiny-llama-seed2', { seed: 2 }));
const loadGpt2 = async (): Promise<Loaded> => loadFolder(await ensureTinyModel('tiny-gpt2', { arch: 'gpt2', kvHeads: 4 }));

// Records the combined row the loop hands to its processor at each step (a copy). It reads the
// row, so it is not additive: the loop gives it exact log-probabilities.
class Recorder extends Processor<number> {
  readonly kind = 'recorder';
  constructor(private readonly rows: Float32Array[][]) {
    super();
  }
  createState(): number {
    return this.rows.push([]) - 1;
  }
  process(row: Float32Array, index: number): void {
    this.rows[index]!.push(row.slice());
  }
}

// Does nothing, but reads the row, so it is not additive (nor is a chain holding it).
class ReadsRow extends Processor<null> {
  readonly kind = 'reads-row';
  createState(): null {
    return null;
  }
  process(): void {}
}

async function lastLogProbs(loaded: Loaded, ids: number[]): Promise<Float64Array> {
  const input_ids = new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
  const attention_mask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
  const { logits } = (await loaded.model({ input_ids, attention_mask })) as { logits: Tensor };
  const v = logits.dims[2] as number;
  const row = (logits.data as Float32Array).subarray((ids.length - 1) * v, ids.length * v);
  let max = -Infinity;
  for (const x of row) max = Math.max(max, x);
  let sum = 0;
  for (const x of row) sum += Math.exp(x - max);
  return Float64Array.from(row, (x) => x - max - Math.log(sum));
}

describe.each([
  ['generated tiny model', loadTiny, true],
  ['shared stories260K', loadShared, HAS_SHARED_MODEL],
] as const)('generateWithExperts on the %s', (_name, load, present) => {
  it.skipIf(!present)('one model with weight 1 equals plain generate() token for token', async () => {
    const loaded = await load();
    for (const prompt of PROMPTS) {
      const plain = (await generateTokens(loaded, prompt, { max_new_tokens: 30 }))[0]!;
      const { rows } = await generateWithExperts({ tokenizer: loaded.tokenizer, prompts: prompt, experts: [{ model: loaded.model, weight: 1 }], maxNewTokens: 30 });
      expect(rows[0]!.tokens).toEqual(plain);
    }
  });

  it.skipIf(!present)('a model combined with itself at 0.5 + 0.5 equals the model alone', async () => {
    const loaded = await load();
    const alone = await generateWithExperts({ tokenizer: loaded.tokenizer, prompts: PROMPTS, experts: [{ model: loaded.model, weight: 1 }], maxNewTokens: 25 });
    const halves = await generateWithExperts({ tokenizer: loaded.tokenizer, prompts: PROMPTS, experts: [{ model: loaded.model, weight: 0.5 }, { model: loaded.model, weight: 0.5 }], maxNewTokens: 25 });
    expect(halves.rows.map((r) => r.tokens)).toEqual(alone.rows.map((r) => r.tokens));
  });
});

describe('generateWithExperts with two different models (tiny Llama and tiny GPT-2, one tokenizer)', () => {
  it('every step\'s combined scores equal each model run separately and combined by hand; greedy follows', async () => {
    const [a, b] = await Promise.all([loadTiny(), loadGpt2()]);
    const rows: Float32Array[][] = [];
    const { rows: out } = await generateWithExperts({ tokenizer: a.tokenizer, prompts: PROMPTS[0]!, experts: [{ model: a.model, weight: 1 }, { model: b.model, weight: -0.7 }], processor: new Recorder(rows), maxNewTokens: 12 });
    const prompt = a.tokenizer.encode(PROMPTS[0]!);
    const tokens = out[0]!.tokens;
    expect(rows[0]).toHaveLength(tokens.length);
    for (let step = 0; step < tokens.length; step++) {
      const prefix = [...prompt, ...tokens.slice(0, step)];
      const [pa, pb] = await Promise.all([lastLogProbs(a, prefix), lastLogProbs(b, prefix)]);
      const expected = Float64Array.from(pa, (x, j) => x - 0.7 * (pb[j] as number));
      const got = rows[0]![step]!;
      let worst = 0;
      let best = 0;
      for (let j = 0; j < expected.length; j++) {
        worst = Math.max(worst, Math.abs((got[j] as number) - (expected[j] as number)));
        if ((expected[j] as number) > (expected[best] as number)) best = j;
      }
      expect(worst).toBeLessThan(1e-4);
      expect(tokens[step]).toBe(best);
    }
  });

  it('an additive processor gets the scores up to a per-row constant (normalizers skipped): the same tokens as behind a member that reads the row', async () => {
    const [a, b] = await Promise.all([loadTiny(), loadGpt2()]);
    const experts = [{ model: a.model, weight: 1 }, { model: b.model, weight: -0.5 }];
    // A presence penalty and a bias change the picks; ReadsRow makes the chain non-additive, so
    // the loop computes exact log-probabilities for it.
    const rules = (): Processor[] => [new RepetitionPenalty({ mode: 'presence', penalty: 1.5, scope: 'response' }), new TokenBias({ biases: [{ token: 5, bias: 2 }] })];
    const additive = new Chain(rules());
    const exact = new Chain([...rules(), new ReadsRow()]);
    expect([additive.additive, exact.additive]).toEqual([true, false]);
    for (const decoding of [{}, { sample: true, temperature: 0.9, topP: 0.95, seed: 3 }, { sample: true, seed: 11 }]) {
      const run = (processor: Processor) => generateWithExperts({ tokenizer: a.tokenizer, prompts: PROMPTS, experts, processor, maxNewTokens: 20, eosTokenIds: [], ...decoding });
      const [fast, slow] = [await run(additive), await run(exact)];
      expect(fast.rows.map((r) => r.tokens)).toEqual(slow.rows.map((r) => r.tokens));
    }
    // The row an additive processor is handed: the experts' scores shifted by their maxes, not
    // their log-sum-exps, so its largest entry is above the exact log-probabilities' (below 0).
    const seen: number[] = [];
    class PeekMax extends Processor<null> {
      readonly kind = 'peek-max';
      override readonly additive = true;
      createState(): null {
        return null;
      }
      process(row: Float32Array): void {
        seen.push(Math.max(...row));
      }
    }
    await generateWithExperts({ tokenizer: a.tokenizer, prompts: PROMPTS[0]!, experts: [{ model: a.model, weight: 1 }], processor: new PeekMax(), maxNewTokens: 3, eosTokenIds: [] });
    expect(seen).toEqual([0, 0, 0]);
  });

  it('batch rows equal single runs', async () => {
    const [a, b] = await Promise.all([loadTiny(), loadGpt2()]);
    const experts = [{ model: a.model, weight: 1 }, { model: b.model, weight: 0.5 }];
    const batch = await generateWithExperts({ tokenizer: a.tokenizer, prompts: PROMPTS, experts, maxNewTokens: 15 });
    for (const [i, prompt] of PROMPTS.entries()) {
      const single = await generateWithExperts({ tokenizer: a.tokenizer, prompts: prompt, experts, maxNewTokens: 15 });
      expect(batch.rows[i]).toEqual(single.rows[0]);
    }
  });

  it('seeded sampling is reproducible, and another seed differs', async () => {
    const [a, b] = await Promise.all([loadTiny(), loadSecond()]);
    const run = (seed: number) => generateWithExperts({ tokenizer: a.tokenizer, prompts: PROMPTS, experts: [{ model: a.model, weight: 1 }, { model: b.model, weight: 1 }], maxNewTokens: 20, sample: true, temperature: 1.5, topK: 50, topP: 0.95, seed });
    const first = await run(7);
    expect((await run(7)).rows).toEqual(first.rows);
    expect(first.seed).toBe(7);
    expect((await run(8)).rows.map((r) => r.tokens)).not.toEqual(first.rows.map((r) => r.tokens));
  });

  it('abort stops within one step', async () => {
    const a = await loadTiny();
    const controller = new AbortController();
    const steps: number[] = [];
    const reason = new Error('stop now');
    const run = generateWithExperts({
      tokenizer: a.tokenizer,
      prompts: PROMPTS[0]!,
      experts: [{ model: a.model, weight: 1 }],
      maxNewTokens: 100,
      eosTokenIds: [],
      signal: controller.signal,
      onToken: ({ step }) => {
        steps.push(step);
        if (step === 3) controller.abort(reason);
      },
    });
    await expect(run).rejects.toBe(reason);
    expect(steps).toEqual([0, 1, 2, 3]);
  });

  it('an aborted signal rejects with its reason before any step: the AbortError of abort() without one', async () => {
    const a = await loadTiny();
    const controller = new AbortController();
    controller.abort();
    const steps: number[] = [];
    const run = generateWithExperts({ tokenizer: a.tokenizer, prompts: PROMPTS[0]!, experts: [{ model: a.model, weight: 1 }], maxNewTokens: 4, eosTokenIds: [], signal: controller.signal, onToken: ({ step }) => steps.push(step) });
    await expect(run).rejects.toBe(controller.signal.reason);
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(steps).toEqual([]);
  });

  it('stops on EOS, stop strings and maxNewTokens; streams like generate()', async () => {
    const a = await loadTiny();
    const experts = [{ model: a.model, weight: 1 }];
    const free = await generateWithExperts({ tokenizer: a.tokenizer, prompts: PROMPTS[0]!, experts, maxNewTokens: 40, eosTokenIds: [] });
    expect(free.rows[0]!.finishReason).toBe('length');
    expect(free.rows[0]!.tokens).toHaveLength(40);
    const text = free.rows[0]!.text;
    const cutAt = text.length > 12 ? text.slice(8, 11) : text.slice(-2);
    const stopped = await generateWithExperts({ tokenizer: a.tokenizer, prompts: PROMPTS[0]!, experts, maxNewTokens: 40, eosTokenIds: [], stop: [cutAt] });
    expect(stopped.rows[0]!.finishReason).toBe('stop');
    expect(stopped.rows[0]!.text).toBe(text.slice(0, text.indexOf(cutAt)));
    const eosAt = free.rows[0]!.tokens[5]!;
    const ended = await generateWithExperts({ tokenizer: a.tokenizer, prompts: PROMPTS[0]!, experts, maxNewTokens: 40, eosTokenIds: [eosAt] });
    expect(ended.rows[0]!.finishReason).toBe('eos');
    expect(ended.rows[0]!.tokens).toEqual(free.rows[0]!.tokens.slice(0, free.rows[0]!.tokens.indexOf(eosAt) + 1));
    let streamed = '';
    const streamer = new TextStreamer(a.tokenizer, { skip_prompt: true, callback_function: (t: string) => (streamed += t) });
    await generateWithExperts({ tokenizer: a.tokenizer, prompts: PROMPTS[0]!, experts, maxNewTokens: 40, eosTokenIds: [], streamer });
    expect(streamed.trim()).toBe(text.trim());
  });

  it('ids outside the vocabulary are caught before any forward pass', async () => {
    const a = await loadTiny();
    const calls: number[] = [];
    const view = Object.create(a.model) as typeof a.model;
    view.forward = async (inputs: unknown) => (calls.push(1), a.model.forward(inputs));
    await expect(generateWithExperts({ tokenizer: a.tokenizer, prompts: [[1, 5000]], experts: [{ model: view, weight: 1 }], maxNewTokens: 2 })).rejects.toThrow('`prompts[0]` holds token id 5000, outside a vocabulary of 365 ids (0 to 364)');
    await expect(generateWithExperts({ tokenizer: a.tokenizer, prompts: 'Hi', experts: [{ model: view, weight: 1 }], maxNewTokens: 2, eosTokenIds: [400] })).rejects.toThrow('`eosTokenIds` holds token id 400');
    await expect(
      generateWithExperts({ tokenizer: a.tokenizer, prompts: 'Hi', experts: [{ model: view, weight: 1 }], maxNewTokens: 2, processor: hewitt2024(a.tokenizer, { eosTokenIds: 999, rules: 'eos' }) }),
    ).rejects.toThrow('`eosTokenIds` holds token id 999');
    expect(calls).toEqual([]);
  });

  it('different vocabulary sizes are an error unless truncateVocabulary', async () => {
    const a = await loadTiny();
    const wide = await loadFolder(await ensureTinyModel('tiny-llama-v400', { vocabSize: 400 }));
    const experts = [{ model: a.model, weight: 1 }, { model: wide.model, weight: 1 }];
    await expect(generateWithExperts({ tokenizer: a.tokenizer, prompts: PROMPTS[0]!, experts, maxNewTokens: 3 })).rejects.toThrow("the experts' vocabularies differ in size (365, 400); pass `truncateVocabulary: true` to use the common 365 ids");
    const { rows } = await generateWithExperts({ tokenizer: a.tokenizer, prompts: PROMPTS[0]!, experts, maxNewTokens: 3, truncateVocabulary: true });
    expect(rows[0]!.tokens.every((t) => t < 365)).toBe(true);
  });

  it('different tokenizers are always an error', async () => {
    const a = await loadTiny();
    const other = loadTokenizer('llama2');
    await expect(generateWithExperts({ tokenizer: a.tokenizer, prompts: 'Hi', experts: [{ model: a.model, weight: 1 }, { model: a.model, weight: 1, tokenizer: other }], maxNewTokens: 2, truncateVocabulary: true })).rejects.toThrow(
      '`experts[1].tokenizer` has a different vocabulary from `tokenizer`; experts must share a tokenizer',
    );
  });

  it('rejects bad options with named arguments', async () => {
    const a = await loadTiny();
    const base = { tokenizer: a.tokenizer, prompts: 'Hi', experts: [{ model: a.model, weight: 1 }] };
    await expect(generateWithExperts({ ...base, experts: [] })).rejects.toThrow('`experts` must be a non-empty array of { model, weight }');
    await expect(generateWithExperts({ ...base, experts: [{ model: a.model, weight: NaN }] })).rejects.toThrow('`experts[0].weight` must be a finite number, but is NaN');
    await expect(generateWithExperts({ ...base, maxNewTokens: 0 })).rejects.toThrow('`maxNewTokens` must be a positive integer, but is 0');
    await expect(generateWithExperts({ ...base, topP: 0 })).rejects.toThrow('`topP` must be a number in (0, 1], but is 0');
    await expect(generateWithExperts({ ...base, stop: [''] })).rejects.toThrow('`stop` must be an array of non-empty strings');
    await expect(generateWithExperts({ ...base, plausibility: { expert: 3, alpha: 0.1 } })).rejects.toThrow('`plausibility.expert` must be an expert index from 0 to 0, but is 3');
    await expect(generateWithExperts({ ...base, maxTokens: 3 } as never)).rejects.toThrow('unknown option "maxTokens"');
    await expect(generateWithExperts({ ...base, experts: [{ model: {}, weight: 1 }] } as never)).rejects.toThrow(RuleLMError);
  });
});

describe('recipes', () => {
  it('give the documented weights', async () => {
    const [a, b, c] = await Promise.all([loadTiny(), loadSecond(), loadGpt2()]);
    expect(proxyTuning({ base: a.model, expert: b.model, antiExpert: c.model, alpha: 2 }).experts.map((e) => [e.model, e.weight])).toEqual([[a.model, 1], [b.model, 2], [c.model, -2]]);
    const cd = contrastiveDecoding({ expert: a.model, amateur: b.model, lambda: 0.5, alpha: 0.2 });
    expect(cd.experts.map((e) => e.weight)).toEqual([1, -0.5]);
    expect(cd.plausibility).toEqual({ expert: 0, alpha: 0.2 });
    expect(dexperts({ base: a.model, antiExpert: c.model, alpha: 2 }).experts.map((e) => e.weight)).toEqual([1, -2]);
    expect(() => dexperts({ base: a.model })).toThrow('`expert` must be a model (give an expert, an anti-expert or both)');
    expect(() => contrastiveDecoding({ expert: a.model, amateur: b.model, alpha: 2 })).toThrow('`alpha` must be a number in (0, 1], but is 2');
    expect(() => proxyTuning({ base: a.model, expert: b.model } as never)).toThrow('`antiExpert` must be a transformers.js causal LM');
  });

  it('contrastive decoding with alpha = 1 keeps only the expert\'s top token, whatever the amateur says', async () => {
    const [a, b] = await Promise.all([loadTiny(), loadSecond()]);
    const expertAlone = (await generateTokens(a, PROMPTS[1]!, { max_new_tokens: 15 }))[0]!;
    const { rows } = await generateWithExperts({ tokenizer: a.tokenizer, prompts: PROMPTS[1]!, maxNewTokens: 15, ...contrastiveDecoding({ expert: a.model, amateur: b.model, lambda: 5, alpha: 1 }) });
    expect(rows[0]!.tokens).toEqual(expertAlone);
  });

  it.skipIf(!HAS_SHARED_MODEL)('a stop string at the very start of a SentencePiece response (with its leading space) is found', async () => {
    const loaded = await loadShared();
    const free = await generateWithExperts({ tokenizer: loaded.tokenizer, prompts: 'Once upon a', experts: [{ model: loaded.model, weight: 1 }], maxNewTokens: 10 });
    expect(free.rows[0]!.text.startsWith(' time')).toBe(true);
    const stopped = await generateWithExperts({ tokenizer: loaded.tokenizer, prompts: 'Once upon a', experts: [{ model: loaded.model, weight: 1 }], maxNewTokens: 10, stop: [' time'] });
    expect(stopped.rows[0]).toEqual({ tokens: free.rows[0]!.tokens.slice(0, 1), text: '', finishReason: 'stop' });
  });

  it.skipIf(!HAS_SHARED_MODEL)('base x rules equals generate() with the rules as a logits processor (stories260K)', async () => {
    const loaded = await loadShared();
    const rules = hewitt2024(loaded.tokenizer, { eosTokenIds: [2, 1] });
    const prompt = '<|user|>\nTell me a story.\n<|assistant|>\n';
    const viaGenerate = (await generateTokens(loaded, prompt, { max_new_tokens: 300, logits_processor: logitsProcessorList(rules, { model: loaded.model }) }))[0]!;
    const { rows } = await generateWithExperts({ tokenizer: loaded.tokenizer, prompts: prompt, maxNewTokens: 300, ...baseTimesRules({ base: loaded.model, rules }) });
    expect(rows[0]!.tokens).toEqual(viaGenerate);
    expect(rows[0]!.finishReason).toBe('eos');
  });
});
