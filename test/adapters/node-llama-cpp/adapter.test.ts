// rulelm/node-llama-cpp on real llama.cpp generation (no mocks): every processor kind gives the
// same greedy tokens as the transformers.js adapter (and other tokens than the model alone);
// sampling on both paths, reproducible per seed; streaming, abort, several sequences of one
// context, conversations (the prompt is what the sequence holds plus the input), the EOS ramp on an
// end-of-generation token, and the errors.
import type { LlamaContext, LlamaModel, Token } from 'node-llama-cpp';
import { TokenBias as LlamaTokenBias } from 'node-llama-cpp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReadonlyTokenHistory } from '../../../src/index';
import { Chain, EndOfSequenceRamp, PositionBias, Processor, ProductOfExperts, RepetitionPenalty, TokenBias, hewitt2024 } from '../../../src/index';
import type { LlamaRulesOptions } from '../../../src/adapters/node-llama-cpp/index';
import { generateWithRules, llamaTokenizer, streamWithRules } from '../../../src/adapters/node-llama-cpp/index';
import { logitsProcessorList } from '../../../src/adapters/transformers/index';
import { decodingOptions, pickToken, seededRandom } from '../../../src/decoding/sampling';
import { biasMap } from '../../../src/adapters/node-llama-cpp/internals';
import type { Loaded } from '../../helpers/models';
import { generateTokens, loadTiny } from '../../helpers/models';
import { HAS_LLAMA_CPP, createContext, loadGgufOf } from './helpers';

const PROMPT = 'Once upon a time, there was';

// Records the prompt length each sequence starts with.
class PromptProbe extends Processor<null> {
  readonly kind = 'prompt-probe';
  override readonly additive = true;
  readonly seen: number[] = [];
  createState(history: ReadonlyTokenHistory): null {
    this.seen.push(history.promptLength);
    return null;
  }
  process(): void {}
}

// Changes nothing, and keeps a copy of each row it sees.
class RowRecorder extends Processor<null> {
  readonly kind = 'row-recorder';
  readonly rows: Float32Array[] = [];
  createState(): null {
    return null;
  }
  process(row: Float32Array): void {
    this.rows.push(row.slice());
  }
}

// Changes nothing: the model alone, through the adapter.
class Identity extends Processor<null> {
  readonly kind = 'identity';
  override readonly additive = true;
  createState(): null {
    return null;
  }
  process(): void {}
}

describe.skipIf(!HAS_LLAMA_CPP)('rulelm/node-llama-cpp', () => {
  let tiny: Loaded;
  let model: LlamaModel;
  let context: LlamaContext;
  let prompt: number[];

  beforeAll(async () => {
    tiny = await loadTiny();
    model = await loadGgufOf(tiny.dir);
    context = await createContext(model, 2);
    prompt = tiny.tokenizer.encode(PROMPT);
  });

  const both = async (processor: Processor, maxTokens = 40): Promise<{ expected: number[]; got: number[]; path: string; stop: string }> => {
    const expected = (await generateTokens(tiny, PROMPT, { max_new_tokens: maxTokens, logits_processor: logitsProcessorList(processor, { model: tiny.model, tokenizer: tiny.tokenizer }) }))[0] as number[];
    const sequence = context.getSequence();
    try {
      const result = await generateWithRules(sequence, processor, prompt, { maxTokens });
      return { expected, got: result.tokens, path: result.path, stop: result.stopReason };
    } finally {
      sequence.dispose();
    }
  };

  const KINDS: [string, () => Processor, 'bias' | 'logits'][] = [
    ['token-bias', () => new TokenBias({ biases: [{ token: 300, bias: 10 }, { tokens: [95, 329], bias: -5 }] }), 'bias'],
    ['position-bias', () => new PositionBias({ positions: [{ at: 0, biases: [{ token: 77, bias: 50 }] }, { at: 3, biases: [{ token: 78, bias: 50 }] }] }), 'bias'],
    ['repetition-penalty (presence)', () => new RepetitionPenalty({ mode: 'presence', penalty: 3 }), 'bias'],
    ['repetition-penalty (frequency)', () => new RepetitionPenalty({ mode: 'frequency', penalty: 1.5, scope: 'sequence' }), 'bias'],
    ['repetition-penalty (multiplicative)', () => new RepetitionPenalty({ mode: 'multiplicative', penalty: 2 }), 'logits'],
    ['end-of-sequence-ramp (linear)', () => new EndOfSequenceRamp({ eosTokenIds: 2, maxBias: 30, rampLength: 20 }), 'bias'],
    ['end-of-sequence-ramp (exponential)', () => new EndOfSequenceRamp({ eosTokenIds: 2, shape: 'exponential', start: 5, factor: 1.5 }), 'logits'],
    ['product-of-experts', () => new ProductOfExperts({ experts: [{ processor: new RepetitionPenalty({ mode: 'presence', penalty: 2 }), weight: 1.5 }] }), 'bias'],
    ['chain (additive + multiplicative)', () => new Chain([new TokenBias({ biases: [{ token: 300, bias: 2 }] }), new RepetitionPenalty({ mode: 'multiplicative', penalty: 1.5 })]), 'logits'],
    ['hewitt2024 preset', () => hewitt2024(tiny.tokenizer, { eosTokenIds: [2] }), 'bias'],
  ];
  let alone: Promise<number[]> | undefined;
  for (const [name, make, path] of KINDS) {
    it(`${name}: the same greedy tokens as the transformers.js adapter (${path} path)`, async () => {
      const { expected, got, path: used } = await both(make());
      expect(used).toBe(path);
      expect(got).toEqual(expected);
      // The processor decides the output: the model alone gives other tokens.
      alone ??= both(new Identity()).then((run) => run.expected);
      expect(expected).not.toEqual(await alone);
    });
  }

  it('runs an additive processor through the logits path with the same tokens as the bias path', async () => {
    const rules = hewitt2024(tiny.tokenizer, { eosTokenIds: [2] });
    const sequence = context.getSequence();
    const bias = await generateWithRules(sequence, rules, prompt, { maxTokens: 30 });
    await sequence.clearHistory();
    const logits = await generateWithRules(sequence, rules, prompt, { maxTokens: 30, path: 'logits' });
    sequence.dispose();
    expect(logits.path).toBe('logits');
    expect(logits.tokens).toEqual(bias.tokens);
  });

  // Runs one generation per options object, one after the other on a fresh sequence.
  const runs = async <T extends readonly LlamaRulesOptions[]>(processor: Processor, options: readonly [...T]): Promise<{ [K in keyof T]: Token[] }> => {
    const sequence = context.getSequence();
    const out: Token[][] = [];
    try {
      for (const o of options) {
        out.push((await generateWithRules(sequence, processor, prompt, { maxTokens: 30, ...o })).tokens);
        await sequence.clearHistory();
      }
    } finally {
      sequence.dispose();
    }
    return out as { [K in keyof T]: Token[] };
  };

  it('samples on the logits path with rulelm decoding, reproducibly per seed', async () => {
    const recorder = new RowRecorder();
    const rules = new Chain([new RepetitionPenalty({ mode: 'multiplicative', penalty: 1.5 }), recorder]);
    const sampled = (seed: number): LlamaRulesOptions => ({ path: 'logits', decoding: { sample: true, seed } });
    const [greedy, one, again, two] = await runs(rules, [{ path: 'logits' }, sampled(1), sampled(1), sampled(2)]);
    expect(again).toEqual(one);
    expect(two).not.toEqual(one);
    expect(one).not.toEqual(greedy);
    // Each token is rulelm's draw from the processed row, with the seed's random numbers.
    expect(recorder.rows).toHaveLength(greedy.length + one.length + again.length + two.length);
    recorder.rows.splice(0, greedy.length);
    for (const [run, seed] of [[one, 1], [again, 1], [two, 2]] as const) {
      const random = seededRandom(seed);
      expect(run).toEqual(recorder.rows.splice(0, run.length).map((row) => pickToken(row, decodingOptions({ sample: true }), random)));
    }
  });

  it('samples on the bias path with llama.cpp sampling, reproducibly per seed', async () => {
    const rules = new RepetitionPenalty({ mode: 'presence', penalty: 3 });
    const sampled = (seed: number): LlamaRulesOptions => ({ path: 'bias', sampling: { temperature: 1, seed } });
    const [greedy, one, again, two] = await runs(rules, [{ path: 'bias' }, sampled(1), sampled(1), sampled(2)]);
    expect(again).toEqual(one);
    expect(two).not.toEqual(one);
    expect(one).not.toEqual(greedy);
    expect(two).not.toEqual(greedy);
  });

  it('streams each token as it is chosen, and returns the result', async () => {
    const sequence = context.getSequence();
    const streamed: number[] = [];
    const stream = streamWithRules(sequence, new RepetitionPenalty({ mode: 'presence', penalty: 3 }), prompt, { maxTokens: 12 });
    let step = await stream.next();
    while (step.done !== true) {
      streamed.push(step.value);
      step = await stream.next();
    }
    sequence.dispose();
    expect(streamed).toHaveLength(12);
    expect(step.value).toEqual({ tokens: streamed, stopReason: 'maxTokens', path: 'bias' });
  });

  it('stops at the next step when the signal aborts, on both paths', async () => {
    for (const processor of [new RepetitionPenalty({ mode: 'presence', penalty: 3 }), new RepetitionPenalty({ mode: 'multiplicative', penalty: 2 })]) {
      const sequence = context.getSequence();
      const controller = new AbortController();
      const seen: number[] = [];
      let result;
      const stream = streamWithRules(sequence, processor, prompt, { maxTokens: 50, signal: controller.signal });
      for (let step = await stream.next(); ; step = await stream.next()) {
        if (step.done === true) {
          result = step.value;
          break;
        }
        seen.push(step.value);
        if (seen.length === 5) controller.abort();
      }
      sequence.dispose();
      expect(result.stopReason).toBe('abort');
      expect(result.tokens).toEqual(seen);
      expect(seen).toHaveLength(5);
    }
    const aborted = AbortSignal.abort();
    const sequence = context.getSequence();
    expect(await generateWithRules(sequence, new Identity(), prompt, { signal: aborted })).toEqual({ tokens: [], stopReason: 'abort', path: 'bias' });
    sequence.dispose();
  });

  it('keeps the state of each sequence of one context apart, when they run at once', async () => {
    const a = new RepetitionPenalty({ mode: 'presence', penalty: 3 });
    const b = new Chain([new TokenBias({ biases: [{ token: 300, bias: 4 }] }), new RepetitionPenalty({ mode: 'multiplicative', penalty: 2 })]);
    const one = context.getSequence();
    const alone = [(await generateWithRules(one, a, prompt, { maxTokens: 25 })).tokens];
    await one.clearHistory();
    alone.push((await generateWithRules(one, b, prompt, { maxTokens: 25 })).tokens);
    one.dispose();
    const [s1, s2] = [context.getSequence(), context.getSequence()];
    const together = await Promise.all([generateWithRules(s1, a, prompt, { maxTokens: 25 }), generateWithRules(s2, b, prompt, { maxTokens: 25 })]);
    s1.dispose();
    s2.dispose();
    expect(together.map((r) => r.tokens)).toEqual(alone);
  });

  it('takes what the sequence already holds as part of the prompt (a conversation)', async () => {
    const probe = new PromptProbe();
    const sequence = context.getSequence();
    const first = await generateWithRules(sequence, probe, prompt, { maxTokens: 6 });
    const held = sequence.contextTokens.length;
    expect(held).toBe(prompt.length + first.tokens.length - 1); // the last token is not evaluated yet
    await generateWithRules(sequence, probe, [first.tokens.at(-1) as number, 42], { maxTokens: 3 });
    sequence.dispose();
    expect(probe.seen).toEqual([prompt.length, held + 2]);
  });

  it('raises an end-of-generation token: the EOS ramp ends the response (TokenBias.set() would drop it)', async () => {
    expect(model.isEogToken(2 as Token)).toBe(true);
    // node-llama-cpp's own TokenBias skips end-of-generation tokens.
    const native = new LlamaTokenBias(model.tokenizer).set(2 as Token, { logit: 100 });
    expect(biasMap(native).size).toBe(0);
    const ramp = new EndOfSequenceRamp({ eosTokenIds: 2, maxBias: 1000, rampLength: 4 });
    const sequence = context.getSequence();
    const result = await generateWithRules(sequence, ramp, prompt, { maxTokens: 50 });
    sequence.dispose();
    expect(result.stopReason).toBe('eos');
    expect(result.tokens.at(-1)).toBe(2);
    expect(result.tokens.length).toBeLessThanOrEqual(2); // bias 250 at step 1 (1000 * 1/4) dominates logits of about 4
  });

  it('ends on stopTokens too, and keeps the end token', async () => {
    const sequence = context.getSequence();
    const free = await generateWithRules(sequence, new Identity(), prompt, { maxTokens: 10 });
    await sequence.clearHistory();
    const stop = free.tokens[3] as Token;
    const stopped = await generateWithRules(sequence, new Identity(), prompt, { maxTokens: 10, stopTokens: [stop] });
    sequence.dispose();
    expect(stopped.tokens).toEqual(free.tokens.slice(0, free.tokens.indexOf(stop) + 1));
    expect(stopped.stopReason).toBe('eos');
  });

  it('sees the model as a tokenizer for presets and text rules', () => {
    const view = llamaTokenizer(model);
    expect(view.vocabSize).toBe((tiny.model.config as unknown as { vocab_size: number }).vocab_size);
    expect(view.get_vocab().get('Ġthe')).toBe(tiny.tokenizer.get_vocab().get('Ġthe'));
    expect(view.encode(' the dog', { add_special_tokens: false })).toEqual(tiny.tokenizer.encode(' the dog', { add_special_tokens: false }));
    expect(view.eos_token_id).toBe(2);
    expect(llamaTokenizer(model)).toBe(view);
  });

  it('rejects bad arguments, naming them', async () => {
    const sequence = context.getSequence();
    const multiplicative = new RepetitionPenalty({ mode: 'multiplicative', penalty: 2 });
    await expect(generateWithRules(sequence, multiplicative, prompt, { path: 'bias' })).rejects.toThrow('`path` "bias" needs an additive processor, but repetition-penalty is not');
    await expect(generateWithRules(sequence, new EndOfSequenceRamp({ eosTokenIds: 7, maxBias: 5, rampLength: 5 }), prompt)).rejects.toThrow('`processor` ramps end-of-sequence id 7, but the model does not stop on it');
    await expect(generateWithRules(sequence, multiplicative, [])).rejects.toThrow('`input` must be a non-empty');
    await expect(generateWithRules(sequence, multiplicative, prompt, { sampling: { temperature: 1 } })).rejects.toThrow('`sampling` is for the "bias" path');
    await expect(generateWithRules(sequence, new Identity(), prompt, { decoding: { sample: true } })).rejects.toThrow('`decoding` is for the "logits" path');
    await expect(generateWithRules(sequence, new TokenBias({ biases: [{ token: 100_000, bias: 1 }] }), prompt)).rejects.toThrow('100000');
    await expect(generateWithRules(sequence, multiplicative, prompt, { maxTokens: 0 })).rejects.toThrow('`maxTokens` must be a positive integer, but is 0');
    await expect(generateWithRules(sequence, multiplicative, prompt, { colour: 1 } as never)).rejects.toThrow('colour');
    await expect(generateWithRules({} as never, multiplicative, prompt)).rejects.toThrow('`sequence` must be a node-llama-cpp LlamaContextSequence');
    await expect(generateWithRules(sequence, multiplicative, prompt, { decoding: null as never })).rejects.toThrow('`decoding` must be an object of decoding options ({ sample, temperature, topK, topP, seed }), but is null');
    await expect(generateWithRules(sequence, multiplicative, [1, 100_000])).rejects.toThrow('`input` holds token id 100000, outside a vocabulary of 365 ids (0 to 364)');
    await expect(generateWithRules(sequence, multiplicative, prompt, { stopTokens: [2, 364, 365] })).rejects.toThrow('`stopTokens` holds token id 365, outside a vocabulary of 365 ids (0 to 364)');
    sequence.dispose();
  });
});
