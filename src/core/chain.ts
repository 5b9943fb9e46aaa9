import type { ReadonlyTokenHistory } from './history';
import type { ProcessorSpec, SpecDefinition } from '../serialization/types';
import * as v from 'valibot';
import { Processor, assertProcessor } from './processor';
import { assertSpecLength } from './validate';
import { specOf } from '../serialization/spec-of';

/** The most processors a chain (after flattening) holds: what its spec allows. */
const MAX_PROCESSORS = 1024;

/** The JSON spec of a {@link Chain}. */
export interface ChainSpec {
  /** The kind. */
  readonly kind: 'chain';
  /** The members, in order. */
  readonly processors: readonly ProcessorSpec[];
}

/**
 * A chain of processors, itself a processor: the processors run one after another on the same
 * row, **in the order given**. Order matters only for processors that are not additive (a
 * multiplicative repetition penalty reads the row the earlier ones left); additive processors
 * commute. Nested chains are flattened, so `new Chain(a, new Chain(b, c))` runs `a, b, c`. A
 * chain keeps no per-sequence data (its state is its members' states, one per member), so it can
 * be reused across generations and sequences.
 *
 * @example
 * ```ts
 * import { Chain, EndOfSequenceRamp, RepetitionPenalty } from 'rulelm';
 *
 * const rules = new Chain(new EndOfSequenceRamp({ eosTokenIds: 2 }), new RepetitionPenalty({ mode: 'presence', penalty: 1.5 }));
 * rules.processors.length; // 2
 * rules.additive;          // true: both members are
 * ```
 */
export class Chain extends Processor<unknown[]> {
  /** The kind. */
  readonly kind = 'chain' as const;
  /** `true` when every member is additive. */
  override readonly additive: boolean;
  /** The processors, in the order they run (nested chains flattened). */
  readonly processors: readonly Processor[];

  /**
   * Creates a chain.
   *
   * @param processors The processors, as arguments, arrays of processors, or both.
   * @throws {RuleLMError} When an entry is not a rulelm processor (named by its position,
   * `processors[1]`), or the chain holds more than 1024 processors once flattened (what a spec
   * holds, so every chain that can be built loads back).
   */
  constructor(...processors: readonly (Processor | readonly Processor[])[]) {
    super();
    const flat: Processor[] = [];
    const add = (entry: unknown, argument: string): void => {
      if (Array.isArray(entry)) {
        entry.forEach((inner, i) => add(inner, `${argument}[${i}]`));
        return;
      }
      const processor = assertProcessor(argument, entry);
      if (processor instanceof Chain) flat.push(...processor.processors);
      else flat.push(processor);
    };
    processors.forEach((entry, i) => add(entry, `processors[${i}]`));
    assertSpecLength('processors', flat.length, MAX_PROCESSORS, 'processors');
    this.processors = flat;
    this.additive = flat.every((p) => p.additive);
  }

  /**
   * The members: the chain's processors.
   *
   * @returns {@link Chain.processors}.
   */
  override get members(): readonly Processor[] {
    return this.processors;
  }

  /**
   * Creates each member's state.
   *
   * @param history The new sequence.
   * @returns One state per member, in order.
   */
  createState(history: ReadonlyTokenHistory): unknown[] {
    return this.processors.map((p) => p.createState(history));
  }

  /**
   * Feeds each member the new tokens.
   *
   * @param states The members' states.
   * @param history The sequence.
   * @param from The first new position.
   */
  override update(states: unknown[], history: ReadonlyTokenHistory, from: number): void {
    const members = this.processors;
    for (let i = 0; i < members.length; i++) (members[i] as Processor).update(states[i], history, from);
  }

  /**
   * Runs each member on the row, in order.
   *
   * @param row Scores, one per vocabulary id; changed in place.
   * @param states The members' states.
   * @param history The sequence.
   * @param weight Passed to every member.
   */
  process(row: Float32Array, states: unknown[], history: ReadonlyTokenHistory, weight: number): void {
    const members = this.processors;
    for (let i = 0; i < members.length; i++) (members[i] as Processor).process(row, states[i], history, weight);
  }

  /**
   * The chain's spec: its members' specs.
   *
   * @returns The spec.
   * @throws {RuleLMError} When a member cannot be serialized.
   */
  override toJSON(): ProcessorSpec {
    return { kind: 'chain', processors: this.processors.map((p, i) => specOf(p, `processors[${i}]`)) };
  }

  /** How a chain is read from JSON. @internal */
  static readonly spec: SpecDefinition<ChainSpec> = {
    kind: 'chain',
    schema: (processor) => v.strictObject({ kind: v.literal('chain'), processors: v.pipe(v.array(processor), v.maxLength(MAX_PROCESSORS)) }),
    fromSpec: (spec, context, path) => new Chain(spec.processors.map((p, i) => context.build(p, `${path}.processors[${i}]`))),
  };
}
