/** An anchor in a spec: where a processor counts from. */
export type AnchorSpec = 'response' | 'sequence' | { readonly after: readonly number[]; readonly fallback: 'response' | 'sequence' };

/** A token-bias entry in a spec: by id, by token sequence, or by text (text needs a tokenizer to load). */
export type TokenBiasEntrySpec =
  | { readonly token: number; readonly bias: number }
  | { readonly tokens: readonly number[]; readonly bias: number }
  | { readonly text: string; readonly bias: number; readonly boundary?: 'both' | 'leading' | 'none' };

/** The JSON form of a processor: its kind and its options. */
export type ProcessorSpec =
  | { readonly kind: 'chain'; readonly processors: readonly ProcessorSpec[] }
  | {
      readonly kind: 'end-of-sequence-ramp';
      readonly eosTokenIds: readonly number[];
      readonly shape: 'linear';
      readonly maxBias: number;
      readonly rampLength: number;
      readonly afterRamp: 'hold' | 'zero';
      readonly countFrom: AnchorSpec;
    }
  | { readonly kind: 'end-of-sequence-ramp'; readonly eosTokenIds: readonly number[]; readonly shape: 'exponential'; readonly start: number; readonly factor: number; readonly countFrom: AnchorSpec }
  | {
      readonly kind: 'repetition-penalty';
      readonly mode: 'presence' | 'frequency' | 'multiplicative';
      readonly penalty: number;
      readonly scope: AnchorSpec;
      readonly window?: number;
      readonly exempt?: readonly number[];
    }
  | { readonly kind: 'token-bias'; readonly biases: readonly TokenBiasEntrySpec[]; readonly unresolved?: 'error' | 'skip' }
  | { readonly kind: 'position-bias'; readonly positions: readonly { readonly at: number; readonly biases: readonly { readonly token: number; readonly bias: number }[] | readonly number[] }[]; readonly countFrom: AnchorSpec }
  | { readonly kind: 'product-of-experts'; readonly baseWeight: number; readonly output: 'logits' | 'log-probs'; readonly experts: readonly { readonly processor: ProcessorSpec; readonly weight: number }[] }
  | {
      readonly kind: 'hewitt2024';
      readonly rules?: string;
      readonly fidelity?: 'reference' | 'clean';
      readonly eosTokenIds?: readonly number[];
      readonly markers?: { readonly user?: readonly number[]; readonly assistant?: readonly number[] };
    };

/** A rule spec document: a version and the processor. */
export interface RuleSpec {
  /** The spec format version. */
  readonly rulelm: 1;
  /** The processor. */
  readonly processor: ProcessorSpec;
}
