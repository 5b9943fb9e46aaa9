// Schema pieces the processors' specs share.
import type { GenericSchema } from 'valibot';
import type { AnchorSpec } from './types';
import * as v from 'valibot';

/** Largest list a spec may hold (a dense vector of the largest real vocabularies fits). */
export const MAX_LIST = 1_048_576;

/** A finite number. */
export const finite: GenericSchema<unknown, number> = v.pipe(v.number(), v.finite());

/** A token id. */
export const tokenId: GenericSchema<unknown, number> = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0x7fffffff));

/** A list of token ids. */
export const tokenIds: GenericSchema<unknown, number[]> = v.pipe(v.array(tokenId), v.maxLength(MAX_LIST));

// The anchor's shapes, picked by the input's type so an error names the field and a real reason.
const anchorName = v.picklist(['response', 'sequence']);
const anchorMarker = v.strictObject({ after: v.pipe(tokenIds, v.minLength(1)), fallback: v.exactOptional(v.picklist(['response', 'sequence'])) });
const anchorShape = v.custom<never>(() => false, 'Expected "response", "sequence" or an object { after: [ids], fallback? }');

/** An anchor (`"response"`, `"sequence"` or `{ after, fallback? }`). */
export const anchor: GenericSchema<unknown, AnchorSpec> = v.lazy((input: unknown) => (typeof input === 'string' ? anchorName : typeof input === 'object' && input !== null && !Array.isArray(input) ? anchorMarker : anchorShape));


/**
 * The options a spec holds: every key but `kind`.
 *
 * @param spec A parsed spec.
 * @returns Its options.
 */
export function optionsOf<S extends { readonly kind: string }>(spec: S): Omit<S, 'kind'> {
  const { kind: _kind, ...rest } = spec;
  return rest;
}

/** A count in a spec (an integer of at least 1; the constructor checks its own range). */
export const count: v.GenericSchema<unknown, number> = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER));
