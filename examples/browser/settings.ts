// The rule controls' names and the paper's preset, shared by the page and the worker (kept
// apart from playground.ts so that the page's bundle does not pull in transformers.js).

/** The paper's rules, as the playground names them. */
export type RuleName = 'eos' | 'uniform' | 'diversity' | 'start';

/** All rules, in the order the chain runs them and the chart stacks them. */
export const RULE_NAMES: readonly RuleName[] = ['eos', 'uniform', 'diversity', 'start'];

/** One rule's control: on or off, and a strength (the rule's weight in the product of experts). */
export interface RuleSetting {
  readonly on: boolean;
  readonly strength: number;
}

/** Every rule's control. */
export type RuleSettings = Readonly<Record<RuleName, RuleSetting>>;

/** The paper's model: EOS ramp, uniform token changes and diversity at strength 1; start rule off. */
export const PAPER_PRESET: RuleSettings = {
  eos: { on: true, strength: 1 },
  uniform: { on: true, strength: 1 },
  diversity: { on: true, strength: 1 },
  start: { on: false, strength: 1 },
};
