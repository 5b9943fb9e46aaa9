import type { InferOutput } from 'valibot';
import type { Processor } from '../core/processor';
import type { TokenizerLike, Vocabulary } from '../core/vocabulary';
import type { ProcessorSpec, RuleSpec, SpecContext } from './types';
import * as v from 'valibot';
import { RuleLMError } from '../core/errors';
import { assertProcessor } from '../core/processor';
import { assertOptions, assertPositiveInteger } from '../core/validate';
import { definitionOf, processorSchema } from './registry';
import { specOf } from './spec-of';

// Deep enough for every processor that can be built (a product of experts refuses to head more
// than 16 levels of products and chains: at most about 60 JSON levels), small enough for any stack.
const MAX_DEPTH = 64;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

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
 * import { RepetitionPenalty, parseSpec, toSpec } from 'rulelm';
 *
 * const json = JSON.stringify(toSpec(new RepetitionPenalty({ mode: 'presence', penalty: 1.5 })));
 * const same = parseSpec(json); // a RepetitionPenalty with the same options
 * ```
 */
export function toSpec(processor: Processor): RuleSpec {
  assertProcessor('processor', processor);
  return { rulelm: 1, processor: specOf(processor, 'processor') };
}

function checkKeys(value: unknown, path: string, depth: number, budget: { left: number; readonly max: number }): void {
  if (--budget.left < 0) throw new RuleLMError(`\`spec\` is too large: more than \`maxSize\` (${budget.max}) JSON values; pass a larger \`maxSize\` to read it`, { argument: 'spec' });
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

type IssuePath = NonNullable<v.BaseIssue<unknown>['path']>;

// The issue to report, with its full path: for a union none of whose options matched (valibot
// then says only "Expected Object but received Object"), the innermost issue of its options (their
// paths are relative to the union's): the deepest, preferring a wrong value to an unknown or
// missing field.
function innermost(issue: v.BaseIssue<unknown>): { readonly issue: v.BaseIssue<unknown>; readonly path: IssuePath } {
  let current = issue;
  const path: IssuePath[number][] = [...(issue.path ?? [])];
  while (current.issues !== undefined && current.issues.length > 0) {
    const rank = (i: v.BaseIssue<unknown>): number => (i.path?.length ?? 0) * 2 + (i.expected === 'never' || i.received === 'undefined' ? 0 : 1);
    current = current.issues.reduce((best, i) => (rank(i) > rank(best) ? i : best));
    path.push(...(current.path ?? []));
  }
  return { issue: current, path: path as unknown as IssuePath };
}

function issuePath(path: IssuePath): string {
  return path.map((item) => item.key).reduce<string>((at, key) => (typeof key === 'number' ? `${at}[${key}]` : `${at}.${String(key)}`), 'spec');
}

// Errors already located at a nested processor, passed on unchanged by the processors around it.
const located = new WeakSet<object>();

// Builds a processor from a checked spec, adding to a construction error where in the spec the
// processor is.
function build(spec: ProcessorSpec, tokenizer: Vocabulary | TokenizerLike | undefined, path: string): Processor {
  const context: SpecContext = { tokenizer, build: (inner, innerPath) => build(inner, tokenizer, innerPath) };
  try {
    return definitionOf(spec).fromSpec(spec, context, path);
  } catch (error) {
    if (!RuleLMError.isInstance(error) || located.has(error)) throw error;
    const wrapped = new RuleLMError(`${error.message.replace(/^\[rulelm\] /, '')} (in \`${path}\`)`, { argument: `${path}.${error.argument ?? ''}`.replace(/\.$/, ''), cause: error });
    located.add(wrapped);
    throw wrapped;
  }
}

/**
 * Parses a rule spec (JSON text or an already parsed value) and builds the processor. The input
 * is checked against a schema: unknown fields, wrong types, the keys `__proto__`,
 * `constructor` and `prototype`, nesting deeper than 64 levels and input larger than `maxSize`
 * are rejected; then the factories validate the values as they always do. Any input either
 * parses or throws a `RuleLMError`.
 *
 * @param input JSON text or a value.
 * @param options The tokenizer (for text biases and the `hewitt2024` kind) and the size limit.
 * @returns The processor.
 * @throws {RuleLMError} On anything that is not a valid spec, naming where.
 * @example
 * ```ts
 * import { parseSpec } from 'rulelm';
 *
 * // A hand-written spec gets the constructor's defaults (here `scope: "response"`).
 * const rules = parseSpec('{"rulelm":1,"processor":{"kind":"repetition-penalty","mode":"presence","penalty":1.5}}');
 * ```
 */
export function parseSpec(input: unknown, options: ParseSpecOptions = {}): Processor {
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
    checkKeys(value, 'spec', 0, { left: maxSize, max: maxSize });
    result = v.safeParse(documentSchema, value);
  } catch (error) {
    // A getter or Proxy in a hand-made value can throw anything; report it as ours.
    if (RuleLMError.isInstance(error)) throw error;
    throw new RuleLMError(`\`spec\` could not be read: ${error instanceof Error ? error.message : String(error)}`, { argument: 'spec', cause: error });
  }
  if (!result.success) {
    const { issue, path } = innermost(result.issues[0]);
    const where = issuePath(path);
    const message = issue.expected === 'never' ? 'is an unknown field' : `is invalid: ${issue.message}`;
    throw new RuleLMError(`\`${where}\` ${message}`, { argument: where });
  }
  const document: InferOutput<typeof documentSchema> = result.output;
  return build(document.processor, options.tokenizer, 'spec.processor');
}
