import type { ReadonlyTokenHistory } from './history';
import type { AnyProcessor, LogitsProcessor } from './processor';
import type { ProcessorSpec } from '../spec/types';
import { fail } from './validate';
import { specOf } from '../spec/spec-of';

/** A chain of processors, itself a processor. Created by {@link chain}. */
export interface Chain extends LogitsProcessor<'chain', unknown[]> {
  /** The processors, in the order they run. */
  readonly processors: readonly AnyProcessor[];
}

/**
 * Creates a chain: processors run one after another on the same row, **in the order given**.
 * Order matters only for processors that are not additive (a multiplicative repetition
 * penalty reads the row the earlier ones left); additive processors commute. A chain keeps no
 * per-sequence data, so it can be reused across generations and sequences. Nested chains are
 * flattened.
 *
 * @param processors The processors, as one array or as arguments.
 * @returns A processor that is additive when all its members are.
 * @throws {RuleLMError} When an entry is not a rulelm processor.
 * @example
 * ```ts
 * const rules = chain(endOfSequenceRamp({ eosTokenIds: 2 }), repetitionPenalty({ mode: 'presence', penalty: 1.5 }));
 * ```
 */
export /* @__NO_SIDE_EFFECTS__ */ function chain(...processors: readonly (AnyProcessor | readonly AnyProcessor[])[]): Chain {
  const flat: AnyProcessor[] = [];
  const add = (entry: unknown, argument: string): void => {
    if (Array.isArray(entry)) {
      entry.forEach((inner, i) => add(inner, `${argument}[${i}]`));
      return;
    }
    const p = entry as AnyProcessor | null;
    if (typeof p !== 'object' || p === null || typeof p.kind !== 'string' || typeof p.process !== 'function' || typeof p.update !== 'function' || typeof p.createState !== 'function') {
      fail(argument, 'a rulelm processor (an object with kind, createState, update and process)', entry);
    }
    if (p.kind === 'chain') (p as Chain).processors.forEach((inner) => flat.push(inner));
    else flat.push(p);
  };
  processors.forEach((entry, i) => add(entry, `processors[${i}]`));
  const members: readonly AnyProcessor[] = flat;
  const count = members.length;
  return {
    kind: 'chain',
    additive: members.every((p) => p.additive),
    processors: members,
    createState(history: ReadonlyTokenHistory): unknown[] {
      return members.map((p) => p.createState(history) as unknown);
    },
    update(states: unknown[], history: ReadonlyTokenHistory, from: number): void {
      for (let i = 0; i < count; i++) (members[i] as AnyProcessor).update(states[i], history, from);
    },
    process(row: Float32Array, states: unknown[], history: ReadonlyTokenHistory, weight: number): void {
      for (let i = 0; i < count; i++) (members[i] as AnyProcessor).process(row, states[i], history, weight);
    },
    toJSON: (): ProcessorSpec => ({ kind: 'chain', processors: members.map((p, i) => specOf(p, `processors[${i}]`)) }),
  };
}
