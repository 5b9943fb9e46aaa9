import type { GenericSchema, InferOutput } from 'valibot';
import type { AnyProcessor } from '../core/processor';
import type { TokenizerLike, Vocabulary } from '../core/vocabulary';
import type { AnchorSpec, ProcessorSpec, RuleSpec } from './types';
import * as v from 'valibot';
import { chain } from '../core/chain';
import { RuleLMError } from '../core/errors';
import { assertOptions, assertPositiveInteger, fail } from '../core/validate';
import { endOfSequenceRamp } from '../processors/end-of-sequence-ramp';
import { positionBias } from '../processors/position-bias';
import { productOfExperts } from '../processors/product-of-experts';
import { repetitionPenalty } from '../processors/repetition-penalty';
import { tokenBias } from '../processors/token-bias';
import { hewitt2024 } from '../presets/hewitt2024';
import { specOf } from './spec-of';

/** Largest list a spec may hold (a dense vector of the largest real vocabularies fits). */
const MAX_LIST = 1_048_576;
const MAX_DEPTH = 32;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

const finite = v.pipe(v.number(), v.finite());
const id = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0x7fffffff));
const ids = v.pipe(v.array(id), v.maxLength(MAX_LIST));
const anchor = v.union([v.picklist(['response', 'sequence']), v.strictObject({ after: v.pipe(ids, v.minLength(1)), fallback: v.picklist(['response', 'sequence']) })]);

const processorSchema: GenericSchema<unknown, ProcessorSpec> = v.lazy(() =>
  v.variant('kind', [
    v.strictObject({ kind: v.literal('chain'), processors: v.pipe(v.array(processorSchema), v.maxLength(1024)) }),
    v.strictObject({ kind: v.literal('end-of-sequence-ramp'), eosTokenIds: ids, shape: v.literal('linear'), maxBias: finite, rampLength: finite, afterRamp: v.picklist(['hold', 'zero']), countFrom: anchor }),
    v.strictObject({ kind: v.literal('end-of-sequence-ramp'), eosTokenIds: ids, shape: v.literal('exponential'), start: finite, factor: finite, countFrom: anchor }),
    v.strictObject({
      kind: v.literal('repetition-penalty'),
      mode: v.picklist(['presence', 'frequency', 'multiplicative']),
      penalty: finite,
      scope: anchor,
      window: v.optional(finite),
      exempt: v.optional(ids),
    }),
    v.strictObject({
      kind: v.literal('token-bias'),
      biases: v.pipe(
        v.array(
          v.union([
            v.strictObject({ token: id, bias: finite }),
            v.strictObject({ tokens: v.pipe(ids, v.minLength(1)), bias: finite }),
            v.strictObject({ text: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)), bias: finite, boundary: v.optional(v.picklist(['both', 'leading', 'none'])) }),
          ]),
        ),
        v.maxLength(MAX_LIST),
      ),
      unresolved: v.optional(v.picklist(['error', 'skip'])),
    }),
    v.strictObject({
      kind: v.literal('position-bias'),
      positions: v.pipe(v.array(v.strictObject({ at: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0x7fffffff)), biases: v.union([v.pipe(v.array(v.strictObject({ token: id, bias: finite })), v.maxLength(MAX_LIST)), v.pipe(v.array(finite), v.maxLength(MAX_LIST))]) })), v.maxLength(4096)),
      countFrom: anchor,
    }),
    v.strictObject({
      kind: v.literal('product-of-experts'),
      baseWeight: finite,
      output: v.picklist(['logits', 'log-probs']),
      experts: v.pipe(v.array(v.strictObject({ processor: processorSchema, weight: finite })), v.maxLength(1024)),
    }),
    v.strictObject({
      kind: v.literal('hewitt2024'),
      rules: v.optional(v.pipe(v.string(), v.maxLength(64))),
      fidelity: v.optional(v.picklist(['reference', 'clean'])),
      eosTokenIds: v.optional(ids),
      markers: v.optional(v.strictObject({ user: v.optional(ids), assistant: v.optional(ids) })),
    }),
  ]),
) as GenericSchema<unknown, ProcessorSpec>;

const documentSchema = v.strictObject({ rulelm: v.literal(1), processor: processorSchema });

/** Options of {@link parseSpec}. */
export interface ParseSpecOptions {
  /** The tokenizer, needed for `text` token biases and the `hewitt2024` preset kind. */
  readonly tokenizer?: Vocabulary | TokenizerLike;
  /** Largest accepted input, in UTF-16 code units for a string and in JSON values for an object. Default 16 Mi. */
  readonly maxSize?: number;
}

/**
 * Returns the JSON spec of a processor, ready for `JSON.stringify`.
 *
 * @param processor A built-in processor, chain or preset.
 * @returns The spec document `{ rulelm: 1, processor }`.
 * @throws {RuleLMError} When a processor (or a member of a chain) cannot be serialized.
 * @example
 * ```ts
 * const json = JSON.stringify(toSpec(hewitt2024(tokenizer)));
 * const same = parseSpec(json);
 * ```
 */
export function toSpec(processor: AnyProcessor): RuleSpec {
  if (typeof processor !== 'object' || processor === null) fail('processor', 'a rulelm processor', processor);
  return { rulelm: 1, processor: specOf(processor, 'processor') };
}

function checkKeys(value: unknown, path: string, depth: number, budget: { left: number }): void {
  if (--budget.left < 0) throw new RuleLMError('`spec` is too large', { argument: 'spec' });
  if (depth > MAX_DEPTH) throw new RuleLMError(`\`spec\` is nested deeper than ${MAX_DEPTH} levels (at ${path})`, { argument: 'spec' });
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkKeys(value[i], `${path}[${i}]`, depth + 1, budget);
    return;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN.has(key)) throw new RuleLMError(`\`spec\` has a forbidden key ${JSON.stringify(key)} at ${path}`, { argument: `${path}.${key}` });
    checkKeys((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1, budget);
  }
}

function issuePath(issue: v.BaseIssue<unknown>): string {
  const keys = (issue.path ?? []).map((item) => item.key);
  return keys.reduce<string>((path, key) => (typeof key === 'number' ? `${path}[${key}]` : `${path}.${String(key)}`), 'spec');
}

function anchorOf(spec: AnchorSpec): AnchorSpec {
  return typeof spec === 'string' ? spec : { after: [...spec.after], fallback: spec.fallback };
}

// Runs a factory, prefixing its error with where in the spec the processor is.
function at<T>(path: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (!RuleLMError.isInstance(error)) throw error;
    throw new RuleLMError(`${error.message.replace(/^\[rulelm\] /, '')} (in \`${path}\`)`, { argument: `${path}.${error.argument ?? ''}`.replace(/\.$/, ''), cause: error });
  }
}

function build(spec: ProcessorSpec, options: ParseSpecOptions, path: string): AnyProcessor {
  switch (spec.kind) {
    case 'chain': {
      const members = spec.processors.map((p, i) => build(p, options, `${path}.processors[${i}]`));
      return chain(members);
    }
    case 'end-of-sequence-ramp':
      return at(path, () =>
        spec.shape === 'linear'
          ? endOfSequenceRamp({ eosTokenIds: spec.eosTokenIds, shape: 'linear', maxBias: spec.maxBias, rampLength: spec.rampLength, afterRamp: spec.afterRamp, countFrom: anchorOf(spec.countFrom) })
          : endOfSequenceRamp({ eosTokenIds: spec.eosTokenIds, shape: 'exponential', start: spec.start, factor: spec.factor, countFrom: anchorOf(spec.countFrom) }),
      );
    case 'repetition-penalty':
      return at(path, () =>
        repetitionPenalty({
          mode: spec.mode,
          penalty: spec.penalty,
          scope: anchorOf(spec.scope),
          ...(spec.window === undefined ? {} : { window: spec.window }),
          ...(spec.exempt === undefined ? {} : { exempt: spec.exempt }),
        }),
      );
    case 'token-bias':
      return at(path, () => tokenBias({ biases: spec.biases, ...(options.tokenizer === undefined ? {} : { tokenizer: options.tokenizer }), ...(spec.unresolved === undefined ? {} : { unresolved: spec.unresolved }) }));
    case 'position-bias':
      return at(path, () =>
        positionBias({
          positions: spec.positions.map((p) => ({ at: p.at, biases: p.biases.length > 0 && typeof p.biases[0] === 'number' ? Float32Array.from(p.biases as readonly number[]) : (p.biases as readonly { token: number; bias: number }[]) })),
          countFrom: anchorOf(spec.countFrom),
        }),
      );
    case 'product-of-experts': {
      const experts = spec.experts.map((e, i) => ({ processor: build(e.processor, options, `${path}.experts[${i}].processor`), weight: e.weight }));
      return at(path, () => productOfExperts({ baseWeight: spec.baseWeight, output: spec.output, experts }));
    }
    case 'hewitt2024': {
      const tokenizer = options.tokenizer;
      if (tokenizer === undefined) throw new RuleLMError(`\`${path}\` is the hewitt2024 preset, which needs the \`tokenizer\` option`, { argument: 'tokenizer' });
      const { kind: _kind, ...preset } = spec;
      return at(path, () => hewitt2024(tokenizer, preset));
    }
  }
}

/**
 * Parses a rule spec (JSON text or an already parsed value) and builds the processor. The input
 * is checked against a schema: unknown fields, wrong types, the keys `__proto__`,
 * `constructor` and `prototype`, nesting deeper than 32 levels and input larger than `maxSize`
 * are rejected; then the factories validate the values as they always do. Any input either
 * parses or throws a `RuleLMError`.
 *
 * @param input JSON text or a value.
 * @param options The tokenizer (for text biases and the `hewitt2024` kind) and the size limit.
 * @returns The processor.
 * @throws {RuleLMError} On anything that is not a valid spec, naming where.
 * @example
 * ```ts
 * const rules = parseSpec('{"rulelm":1,"processor":{"kind":"hewitt2024","fidelity":"clean"}}', { tokenizer });
 * ```
 */
export function parseSpec(input: unknown, options: ParseSpecOptions = {}): AnyProcessor {
  assertOptions('options', options, ['tokenizer', 'maxSize']);
  const maxSize = options.maxSize ?? 16 * 1024 * 1024;
  assertPositiveInteger('maxSize', maxSize);
  let value: unknown = input;
  if (typeof input === 'string') {
    if (input.length > maxSize) throw new RuleLMError(`\`spec\` is ${input.length} characters long, more than \`maxSize\` (${maxSize})`, { argument: 'spec' });
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new RuleLMError(`\`spec\` is not valid JSON: ${(error as Error).message}`, { argument: 'spec', cause: error });
    }
  }
  let result: ReturnType<typeof v.safeParse<typeof documentSchema>>;
  try {
    checkKeys(value, 'spec', 0, { left: maxSize });
    result = v.safeParse(documentSchema, value);
  } catch (error) {
    // A getter or Proxy in a hand-made value can throw anything; report it as ours.
    if (RuleLMError.isInstance(error)) throw error;
    throw new RuleLMError(`\`spec\` could not be read: ${error instanceof Error ? error.message : String(error)}`, { argument: 'spec', cause: error });
  }
  if (!result.success) {
    const issue = result.issues[0];
    const where = issuePath(issue);
    const message = issue.expected === 'never' ? 'is an unknown field' : `is invalid: ${issue.message}`;
    throw new RuleLMError(`\`${where}\` ${message}`, { argument: where });
  }
  const document: InferOutput<typeof documentSchema> = result.output;
  return build(document.processor, options, 'spec.processor');
}
