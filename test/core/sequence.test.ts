import type { LogitsProcessor, ReadonlyTokenHistory } from '../../src/index';
import { describe, expect, it } from 'vitest';
import { endOfSequenceRamp, repetitionPenalty, startSequence } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';

interface Call {
  readonly method: 'createState' | 'update' | 'process';
  readonly tokens: readonly number[];
  readonly promptLength: number;
  readonly from?: number;
  readonly weight?: number;
}

/** A processor that records its calls and adds 1 to the id of the last token (or id 0). */
function recorder(): LogitsProcessor<'recorder', { readonly log: Call[] }> & { readonly calls: Call[] } {
  const calls: Call[] = [];
  const snapshot = (h: ReadonlyTokenHistory): number[] => [...h.tokens.subarray(0, h.length)];
  return {
    kind: 'recorder',
    additive: false,
    calls,
    createState(history) {
      calls.push({ method: 'createState', tokens: snapshot(history), promptLength: history.promptLength });
      return { log: calls };
    },
    update(state, history, from) {
      expect(state.log).toBe(calls);
      calls.push({ method: 'update', tokens: snapshot(history), promptLength: history.promptLength, from });
    },
    process(row, state, history, weight) {
      expect(state.log).toBe(calls);
      calls.push({ method: 'process', tokens: snapshot(history), promptLength: history.promptLength, weight });
      row[history.length > 0 ? (history.tokens[history.length - 1] as number) : 0]! += 1;
    },
  };
}

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
    const penalty = startSequence(repetitionPenalty({ mode: 'presence', penalty: 1 }), { prompt: [], vocabSize: 3 });
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
    expectRuleLMError(() => startSequence(null as never, { prompt: [], vocabSize: 3 }), '`processor` must be a rulelm processor, but is null', 'processor');
    expectRuleLMError(() => startSequence({} as never, { prompt: [], vocabSize: 3 }), '`processor` must be a rulelm processor, but is {}', 'processor');
  });

  it("checks the processor's ids against the vocabulary when the sequence starts", () => {
    const ramp = endOfSequenceRamp({ eosTokenIds: [1, 8] });
    expectRuleLMError(() => startSequence(ramp, { prompt: [], vocabSize: 8 }), '`eosTokenIds` holds token id 8, outside a vocabulary of 8 ids (0 to 7)', 'eosTokenIds');
    expect(() => startSequence(ramp, { prompt: [], vocabSize: 9 })).not.toThrow();
  });
});
