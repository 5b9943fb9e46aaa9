import type { GenericSchema } from 'valibot';
import type { ProcessorSpec, SpecDefinition } from './types';
import * as v from 'valibot';
import { Chain } from '../core/chain';
import { EndOfSequenceRamp } from '../processors/end-of-sequence-ramp';
import { PositionBias } from '../processors/position-bias';
import { ProductOfExperts } from '../processors/product-of-experts';
import { RepetitionPenalty } from '../processors/repetition-penalty';
import { TokenBias } from '../processors/token-bias';
import { Hewitt2024 } from '../presets/hewitt2024';
import { DRY } from '../processors/dry';
import { EpsilonCutoff } from '../processors/epsilon-cutoff';
import { EtaCutoff } from '../processors/eta-cutoff';
import { MinP } from '../processors/min-p';
import { NoRepeatNGram } from '../processors/no-repeat-ngram';
import { TopK } from '../processors/top-k';
import { TopNSigma } from '../processors/top-n-sigma';
import { TopP } from '../processors/top-p';
import { TypicalP } from '../processors/typical-p';
import { XTC } from '../processors/xtc';

/** Every kind `parseSpec` reads: each processor's own definition. Adding a processor adds one line here. */
const DEFINITIONS: readonly SpecDefinition<ProcessorSpec>[] = [
  Chain.spec,
  EndOfSequenceRamp.spec,
  RepetitionPenalty.spec,
  TokenBias.spec,
  PositionBias.spec,
  ProductOfExperts.spec,
  Hewitt2024.presetSpec,
  TopK.spec,
  TopP.spec,
  MinP.spec,
  TypicalP.spec,
  EpsilonCutoff.spec,
  EtaCutoff.spec,
  TopNSigma.spec,
  XTC.spec,
  DRY.spec,
  NoRepeatNGram.spec,
];

const byKind = new Map<string, SpecDefinition<ProcessorSpec>>(DEFINITIONS.map((d) => [d.kind, d]));
const schemas = new Map<string, GenericSchema<unknown, ProcessorSpec>>();
const kinds = DEFINITIONS.map((d) => JSON.stringify(d.kind)).join(', ');
const unknownKind = v.custom<ProcessorSpec>(() => false, `Expected an object whose \`kind\` is one of ${kinds}`);

/**
 * The schema of any processor spec: the schema of its `kind`, from that processor's file.
 */
export const processorSchema: GenericSchema<unknown, ProcessorSpec> = v.lazy((input: unknown) => {
  const kind = typeof input === 'object' && input !== null ? (input as { kind?: unknown }).kind : undefined;
  if (typeof kind !== 'string' || !byKind.has(kind)) return unknownKind;
  let schema = schemas.get(kind);
  if (schema === undefined) {
    schema = (byKind.get(kind) as SpecDefinition<ProcessorSpec>).schema(processorSchema);
    schemas.set(kind, schema);
  }
  return schema;
});

/**
 * The definition of a spec's kind.
 *
 * @param spec A spec the schema accepted.
 * @returns Its definition.
 */
export function definitionOf(spec: ProcessorSpec): SpecDefinition<ProcessorSpec> {
  return byKind.get(spec.kind) as SpecDefinition<ProcessorSpec>;
}
