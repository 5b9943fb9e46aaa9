import type { MemberChanges, ReadonlyTokenHistory } from '../../src/index';
import { describe, expect, it, vi } from 'vitest';
import { Chain, EndOfSequenceRamp, Processor, ProductOfExperts, RepetitionPenalty, startSequence, TokenBias } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';
import { row as floats } from '../helpers/rows';

interface Call {
  readonly method: 'checkVocabulary' | 'createState' | 'update' | 'process';
  readonly tokens?: readonly number[];
  readonly promptLength?: number;
  readonly from?: number;
  readonly weight?: number;
  readonly vocabSize?: number;
}

interface RecorderState {
  readonly log: Call[];
}

const snapshot = (h: ReadonlyTokenHistory): number[] => [...h.tokens.subarray(0, h.length)];

/** A processor that records its calls and adds 1 to the id of the last token (or id 0). */
class Recorder extends Processor<RecorderState> {
  readonly kind = 'recorder';
  readonly calls: Call[] = [];

  createState(history: ReadonlyTokenHistory): RecorderState {
    this.calls.push({ method: 'createState', tokens: snapshot(history), promptLength: history.promptLength });
    return { log: this.calls };
  }

  override update(state: RecorderState, history: ReadonlyTokenHistory, from: number): void {
    expect(state.log).toBe(this.calls);
    this.calls.push({ method: 'update', tokens: snapshot(history), promptLength: history.promptLength, from });
  }

  process(row: Float32Array, state: RecorderState, history: ReadonlyTokenHistory, weight: number): void {
    expect(state.log).toBe(this.calls);
    this.calls.push({ method: 'process', tokens: snapshot(history), promptLength: history.promptLength, weight });
    row[history.length > 0 ? (history.tokens[history.length - 1] as number) : 0]! += 1;
  }
}

/** A recorder that also records when its ids are checked against the vocabulary. */
class CheckedRecorder extends Recorder {
  override checkVocabulary(vocabSize: number): void {
    this.calls.push({ method: 'checkVocabulary', vocabSize });
  }
}

const recorder = (): Recorder => new Recorder();

describe('startSequence', () => {
  it('creates the state with the prompt, then feeds the prompt to update from 0', () => {
    const p = recorder();
    const sequence = startSequence(p, { prompt: [3, 1], vocabSize: 5 });
    expect(p.calls).toEqual([
      { method: 'createState', tokens: [3, 1], promptLength: 2 },
      { method: 'update', tokens: [3, 1], promptLength: 2, from: 0 },
    ]);
    expect(sequence.history.length).toBe(2);
    expect(sequence.history.promptLength).toBe(2);
    expect(sequence.history.vocabSize).toBe(5);
  });

  it('process changes the row in place with weight 1 and returns the same row', () => {
    const p = recorder();
    const sequence = startSequence(p, { prompt: [3, 1], vocabSize: 5 });
    const row = Float32Array.from([0, 0.5, 0, 0, 0]);
    const out = sequence.process(row);
    expect(out).toBe(row);
    expect(row).toEqual(Float32Array.from([0, 1.5, 0, 0, 0]));
    expect(p.calls.at(-1)).toEqual({ method: 'process', tokens: [3, 1], promptLength: 2, weight: 1 });
  });

  it('push appends one token and updates from the old length', () => {
    const p = recorder();
    const sequence = startSequence(p, { prompt: [3], vocabSize: 5 });
    sequence.push(4);
    sequence.push(0);
    expect(p.calls.slice(2)).toEqual([
      { method: 'update', tokens: [3, 4], promptLength: 1, from: 1 },
      { method: 'update', tokens: [3, 4, 0], promptLength: 1, from: 2 },
    ]);
    expect(sequence.history.responseLength).toBe(2);
  });

  it('append adds several tokens with a single update', () => {
    const p = recorder();
    const sequence = startSequence(p, { prompt: [3], vocabSize: 5 });
    sequence.append([4, 0, 2]);
    sequence.append(Int32Array.from([1]));
    sequence.append([]);
    expect(p.calls.slice(2)).toEqual([
      { method: 'update', tokens: [3, 4, 0, 2], promptLength: 1, from: 1 },
      { method: 'update', tokens: [3, 4, 0, 2, 1], promptLength: 1, from: 4 },
      { method: 'update', tokens: [3, 4, 0, 2, 1], promptLength: 1, from: 5 },
    ]);
  });

  it('allows an empty prompt (t counts from the first token)', () => {
    const p = recorder();
    const sequence = startSequence(p, { prompt: [], vocabSize: 3 });
    expect(sequence.history.length).toBe(0);
    expect(sequence.process(new Float32Array(3))).toEqual(Float32Array.from([1, 0, 0]));
    sequence.push(2);
    expect(sequence.process(new Float32Array(3))).toEqual(Float32Array.from([0, 0, 1]));
  });

  it('honours the capacity and grows past it', () => {
    const sequence = startSequence(recorder(), { prompt: [1], vocabSize: 3, capacity: 200 });
    expect(sequence.history.tokens.length).toBe(200);
    for (let i = 0; i < 250; i++) sequence.push(i % 3);
    expect(sequence.history.tokens.length).toBe(400);
    expect(sequence.history.length).toBe(251);
  });

  it('checks the row: a Float32Array of the vocabulary size', () => {
    const sequence = startSequence(recorder(), { prompt: [1], vocabSize: 5 });
    expectRuleLMError(
      () => sequence.process(new Float32Array(4)),
      '`row` must be a Float32Array of length 5 (the vocabulary size), but is a Float32Array of length 4',
      'row',
    );
    expectRuleLMError(
      () => sequence.process(new Float64Array(5) as unknown as Float32Array),
      '`row` must be a Float32Array of length 5 (the vocabulary size), but is a Float64Array of length 5',
      'row',
    );
    expectRuleLMError(
      () => sequence.process([0, 0, 0, 0, 0] as unknown as Float32Array),
      '`row` must be a Float32Array of length 5 (the vocabulary size), but is [0,0,0,0,0]',
      'row',
    );
  });

  it('rejects pushed tokens outside the vocabulary and leaves history and state unchanged', () => {
    const p = recorder();
    const sequence = startSequence(p, { prompt: [1], vocabSize: 5 });
    expectRuleLMError(() => sequence.push(5), '`token` must be a token id from 0 to 4, but is 5', 'token');
    expectRuleLMError(() => sequence.push(-1), '`token` must be a token id from 0 to 4, but is -1', 'token');
    expectRuleLMError(() => sequence.push(2.5), '`token` must be a token id from 0 to 4, but is 2.5', 'token');
    expect(sequence.history.length).toBe(1);
    expect(p.calls.filter((c) => c.method === 'update')).toHaveLength(1);
  });

  it('rejects an appended list with a bad token, names its index, and appends none of it', () => {
    const p = recorder();
    const sequence = startSequence(p, { prompt: [1], vocabSize: 5 });
    expectRuleLMError(() => sequence.append([2, 5, 3]), '`tokens[1]` must be a token id from 0 to 4, but is 5', 'tokens[1]');
    expectRuleLMError(() => sequence.append([2, 3, 0.5]), '`tokens[2]` must be a token id from 0 to 4, but is 0.5', 'tokens[2]');
    expectRuleLMError(() => sequence.append(3 as unknown as number[]), '`tokens` must be an array of token ids, but is 3', 'tokens');
    expect(sequence.history.length).toBe(1);
    expect(p.calls.filter((c) => c.method === 'update')).toHaveLength(1);
    // The state still agrees with the history: a presence penalty sees only what was appended.
    const penalty = startSequence(new RepetitionPenalty({ mode: 'presence', penalty: 1 }), { prompt: [], vocabSize: 3 });
    expect(() => penalty.append([1, 7])).toThrow();
    expect(penalty.process(new Float32Array(3))).toEqual(new Float32Array(3));
  });

  it('rejects a bad prompt, vocabulary size, capacity or option name', () => {
    const p = recorder();
    expectRuleLMError(() => startSequence(p, { prompt: [5], vocabSize: 5 }), '`prompt[0]` must be a token id from 0 to 4, but is 5', 'prompt[0]');
    expectRuleLMError(() => startSequence(p, { prompt: [], vocabSize: 0 }), '`vocabSize` must be a positive integer, but is 0', 'vocabSize');
    expectRuleLMError(() => startSequence(p, { prompt: [], vocabSize: 3, capacity: -1 }), '`capacity` must be a non-negative integer, but is -1', 'capacity');
    expectRuleLMError(
      // @ts-expect-error: a misspelled option
      () => startSequence(p, { prompt: [], vocabSize: 3, capacty: 10 }),
      '`options` has an unknown option "capacty"; known options are `prompt`, `vocabSize`, `capacity`',
      'options.capacty',
    );
    expectRuleLMError(() => startSequence(p, undefined as unknown as { prompt: number[]; vocabSize: number }), '`options` must be an object, but is undefined', 'options');
  });

  it('rejects something that is not a processor', () => {
    expectRuleLMError(() => startSequence(null as never, { prompt: [], vocabSize: 3 }), '`processor` must be a rulelm processor (an instance of a Processor subclass), but is null', 'processor');
    expectRuleLMError(() => startSequence({} as never, { prompt: [], vocabSize: 3 }), '`processor` must be a rulelm processor (an instance of a Processor subclass), but is {}', 'processor');
    // An object with the right methods is not enough: processors are instances of Processor subclasses.
    const lookAlike = { kind: 'x', additive: true, createState: () => null, update: () => undefined, process: () => undefined };
    expectRuleLMError(
      () => startSequence(lookAlike as never, { prompt: [], vocabSize: 3 }),
      '`processor` must be a rulelm processor (an instance of a Processor subclass), but is {"kind":"x","additive":true}',
      'processor',
    );
  });

  it("checks the processor's ids against the vocabulary when the sequence starts", () => {
    const ramp = new EndOfSequenceRamp({ eosTokenIds: [1, 8] });
    expectRuleLMError(() => startSequence(ramp, { prompt: [], vocabSize: 8 }), '`eosTokenIds` holds token id 8, outside a vocabulary of 8 ids (0 to 7)', 'eosTokenIds');
    expect(() => startSequence(ramp, { prompt: [], vocabSize: 9 })).not.toThrow();
  });

  it('checks the vocabulary first, then creates the state, then feeds it the prompt', () => {
    const p = new CheckedRecorder();
    startSequence(p, { prompt: [3, 1], vocabSize: 5 });
    expect(p.calls).toEqual([
      { method: 'checkVocabulary', vocabSize: 5 },
      { method: 'createState', tokens: [3, 1], promptLength: 2 },
      { method: 'update', tokens: [3, 1], promptLength: 2, from: 0 },
    ]);
  });

  it('a bad id fails before any state exists, also for a member of a chain', () => {
    const bias = new TokenBias({ biases: [{ token: 9, bias: 1 }] });
    const createState = vi.spyOn(bias, 'createState');
    expectRuleLMError(() => startSequence(bias, { prompt: [1], vocabSize: 9 }), '`biases` holds token id 9, outside a vocabulary of 9 ids (0 to 8)', 'biases');
    expect(createState).not.toHaveBeenCalled();
    const first = new Recorder();
    const chained = new Chain(first, new EndOfSequenceRamp({ eosTokenIds: [2, 9] }));
    expectRuleLMError(() => startSequence(chained, { prompt: [1], vocabSize: 9 }), '`eosTokenIds` holds token id 9, outside a vocabulary of 9 ids (0 to 8)', 'eosTokenIds');
    expect(first.calls).toEqual([]);
    // At the boundary (id = vocabSize - 1) the sequence starts.
    expect(startSequence(chained, { prompt: [1], vocabSize: 10 }).history.vocabSize).toBe(10);
    expect(first.calls.map((c) => c.method)).toEqual(['createState', 'update']);
  });
});

describe('Sequence.trace', () => {
  // Prompt [1, 2]: the multiplicative penalty (factor 2, scope "sequence") has seen ids 1 and 2.
  const rules = (): Chain =>
    new Chain(new TokenBias({ biases: [{ token: 1, bias: 2 }, { token: 3, bias: -1 }] }), new RepetitionPenalty({ mode: 'multiplicative', penalty: 2, scope: 'sequence' }));
  const base = floats([1, 1, -1, 0, 0.5]);

  it('reports what each member of a chain changed, token by token, in order', () => {
    const sequence = startSequence(rules(), { prompt: [1, 2], vocabSize: 5 });
    const reports: MemberChanges[] = [];
    const row = base.slice();
    const out = sequence.trace(row, (changes) => reports.push(changes));
    expect(out).toBe(row);
    expect(reports).toEqual([
      // id 1: 1 + 2 = 3; id 3: 0 - 1 = -1
      { processorIndex: 0, kind: 'token-bias', changes: [{ token: 1, delta: 2 }, { token: 3, delta: -1 }] },
      // id 1: 3 / 2 = 1.5; id 2: -1 * 2 = -2
      { processorIndex: 1, kind: 'repetition-penalty', changes: [{ token: 1, delta: -1.5 }, { token: 2, delta: -1 }] },
    ]);
    expect(row).toEqual(floats([1, 1.5, -2, -1, 0.5]));
  });

  it('changes the row exactly as process does, step after step', () => {
    const traced = startSequence(rules(), { prompt: [1, 2], vocabSize: 5 });
    const processed = startSequence(rules(), { prompt: [1, 2], vocabSize: 5 });
    for (const token of [3, 0, 3, 4]) {
      const a = traced.trace(base.slice(), () => undefined);
      const b = processed.process(base.slice());
      expect(a).toEqual(b);
      traced.push(token);
      processed.push(token);
    }
    // After 3, 0, 3, 4 every id has been seen: all five are penalized.
    expect(traced.trace(base.slice(), () => undefined)).toEqual(floats([0.5, 1.5, -2, -2, 0.25]));
  });

  it('reports a processor that is not a chain once, as member 0 with its own kind', () => {
    const ramp = new EndOfSequenceRamp({ eosTokenIds: 4, maxBias: 2, rampLength: 4 });
    const sequence = startSequence(ramp, { prompt: [1], vocabSize: 5 });
    sequence.push(0);
    const reports: MemberChanges[] = [];
    const row = base.slice();
    sequence.trace(row, (changes) => reports.push(changes));
    expect(reports).toEqual([{ processorIndex: 0, kind: 'end-of-sequence-ramp', changes: [{ token: 4, delta: 0.5 }] }]);
    expect(row).toEqual(floats([1, 1, -1, 0, 1]));
    // A product of experts is one processor too (its experts are not chain members).
    const poe = new ProductOfExperts({ experts: [{ processor: new TokenBias({ biases: [{ token: 0, bias: 1 }] }) }, { processor: new TokenBias({ biases: [{ token: 2, bias: 3 }] }), weight: 0.5 }] });
    const poeReports: MemberChanges[] = [];
    startSequence(poe, { prompt: [], vocabSize: 5 }).trace(base.slice(), (changes) => poeReports.push(changes));
    expect(poeReports).toEqual([{ processorIndex: 0, kind: 'product-of-experts', changes: [{ token: 0, delta: 1 }, { token: 2, delta: 1.5 }] }]);
  });

  it('reports a member that changed nothing with no changes, and leaves NaN and -Infinity out', () => {
    const sequence = startSequence(new Chain(new RepetitionPenalty({ mode: 'presence', penalty: 1 }), new TokenBias({ biases: [{ token: 0, bias: 1 }, { token: 1, bias: 1 }] })), { prompt: [2], vocabSize: 3 });
    const reports: MemberChanges[] = [];
    sequence.trace(floats([NaN, -Infinity, 5]), (changes) => reports.push(changes));
    expect(reports).toEqual([
      { processorIndex: 0, kind: 'repetition-penalty', changes: [] },
      { processorIndex: 1, kind: 'token-bias', changes: [] },
    ]);
  });

  it('reports an unmasked score as an infinite change', () => {
    class Unmask extends Processor<null> {
      readonly kind = 'unmask';
      createState(): null {
        return null;
      }
      process(row: Float32Array): void {
        row[0] = 0;
      }
    }
    const reports: MemberChanges[] = [];
    startSequence(new Unmask(), { prompt: [], vocabSize: 2 }).trace(floats([-Infinity, 1]), (changes) => reports.push(changes));
    expect(reports).toEqual([{ processorIndex: 0, kind: 'unmask', changes: [{ token: 0, delta: Infinity }] }]);
  });

  it('checks the row and the report function', () => {
    const sequence = startSequence(rules(), { prompt: [1], vocabSize: 5 });
    expectRuleLMError(() => sequence.trace(new Float32Array(4), () => undefined), '`row` must be a Float32Array of length 5 (the vocabulary size), but is a Float32Array of length 4', 'row');
    expectRuleLMError(() => sequence.trace(new Float32Array(5), 5 as never), '`report` must be a function, but is 5', 'report');
  });
});
