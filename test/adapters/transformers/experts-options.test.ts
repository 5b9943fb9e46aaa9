import { describe, expect, it } from 'vitest';
import { assertSharedTokenizer, commonVocabularySize, resolveExpertsOptions } from '../../../src/adapters/transformers/experts-options';
import { seededRandom } from '../../../src/decoding/sampling';
import { RuleLMError, TokenBias } from '../../../src/index';
import { loadTiny } from '../../helpers/models';
import { loadTokenizer } from '../../helpers/tokenizers';

describe('resolveExpertsOptions', () => {
  it('fills in the defaults: 256 tokens, the first expert\'s EOS ids, the tokenizer\'s padding, greedy', async () => {
    const { model, tokenizer } = await loadTiny();
    const resolved = resolveExpertsOptions({ tokenizer, prompts: 'Hi', experts: [{ model, weight: 1 }, { model, weight: -0.25 }], seed: 5 });
    expect(resolved).toMatchObject({ weights: [1, -0.25], maxNewTokens: 256, padTokenId: tokenizer.pad_token_id, stop: [], truncateVocabulary: false, seed: 5, processor: undefined, plausibility: undefined });
    expect([...resolved.eosTokenIds]).toEqual([2]);
    expect(resolved.decoding).toEqual({ sample: false, temperature: 1, topK: 0, topP: 1 });
    const random = seededRandom(5);
    expect([resolved.random(), resolved.random()]).toEqual([random(), random()]);
  });

  it('takes the given values', async () => {
    const { model, tokenizer } = await loadTiny();
    const processor = new TokenBias({ biases: [{ token: 3, bias: 1 }] });
    const resolved = resolveExpertsOptions({ tokenizer, prompts: 'Hi', experts: [{ model, weight: 1 }], processor, eosTokenIds: 7, maxNewTokens: 9, stop: ['.'], sample: true, temperature: 0.5, topK: 4, topP: 0.9, plausibility: { expert: 0, alpha: 0.1 } });
    expect(resolved).toMatchObject({ processor, maxNewTokens: 9, stop: ['.'], plausibility: { expert: 0, alpha: 0.1 }, decoding: { sample: true, temperature: 0.5, topK: 4, topP: 0.9 } });
    expect([...resolved.eosTokenIds]).toEqual([7]);
    expect(resolveExpertsOptions({ tokenizer, prompts: 'Hi', experts: [{ model, weight: 1 }], eosTokenIds: [] }).padTokenId).toBe(tokenizer.pad_token_id);
  });

  it('rejects a processor that is not one, and a bad plausibility cut, naming them', async () => {
    const { model, tokenizer } = await loadTiny();
    const base = { tokenizer, prompts: 'Hi', experts: [{ model, weight: 1 }] };
    expect(() => resolveExpertsOptions({ ...base, processor: { process: () => {} } as never })).toThrow('`processor` must be a rulelm processor (an instance of a Processor subclass)');
    expect(() => resolveExpertsOptions({ ...base, plausibility: { expert: 0, alpha: 1.5 } })).toThrow('`plausibility.alpha` must be a number in (0, 1], but is 1.5');
    expect(() => resolveExpertsOptions({ ...base, tokenizer: null as never })).toThrow('`tokenizer` must be a transformers.js tokenizer, but is null');
    expect(() => resolveExpertsOptions({ ...base, seed: 1.5 })).toThrow('`seed` must be a safe integer, but is 1.5');
    expect(() => resolveExpertsOptions({ ...base, signal: { aborted: true } as never })).toThrow('`signal` must be an AbortSignal, but is {"aborted":true}');
    expect(() => resolveExpertsOptions({ ...base, signal: null as never })).toThrow('`signal` must be an AbortSignal, but is null');
    expect(resolveExpertsOptions({ ...base, signal: new AbortController().signal }).signal).toBeInstanceOf(AbortSignal);
  });

  it('rejects temperature, topK and topP without sample: true instead of ignoring them (as the CLI does)', async () => {
    const { model, tokenizer } = await loadTiny();
    const base = { tokenizer, prompts: 'Hi', experts: [{ model, weight: 1 }] };
    expect(() => resolveExpertsOptions({ ...base, temperature: 0.7 })).toThrow('[rulelm] `temperature` needs `sample: true` (decoding is greedy otherwise)');
    expect(() => resolveExpertsOptions({ ...base, topK: 5 })).toThrow('[rulelm] `topK` needs `sample: true` (decoding is greedy otherwise)');
    expect(() => resolveExpertsOptions({ ...base, topP: 0.9 })).toThrow('[rulelm] `topP` needs `sample: true` (decoding is greedy otherwise)');
    expect(resolveExpertsOptions({ ...base, sample: true, temperature: 0.7 }).decoding.temperature).toBe(0.7);
  });
});

describe('the shared vocabulary', () => {
  it('commonVocabularySize: the one size, or the smallest when truncating', () => {
    expect(commonVocabularySize([365, 365], false)).toBe(365);
    expect(commonVocabularySize([400, 365], true)).toBe(365);
    expect(() => commonVocabularySize([365, 400], false)).toThrow(new RuleLMError("the experts' vocabularies differ in size (365, 400); pass `truncateVocabulary: true` to use the common 365 ids", { argument: 'experts' }));
  });

  it('assertSharedTokenizer: an expert\'s own tokenizer must have the same vocabulary', async () => {
    const { model, tokenizer } = await loadTiny();
    const llama2 = loadTokenizer('llama2');
    expect(() => assertSharedTokenizer(tokenizer, [{ model, weight: 1, tokenizer }])).not.toThrow();
    expect(() => assertSharedTokenizer(llama2, [{ model, weight: 1 }, { model, weight: 1, tokenizer: Object.create(llama2) as typeof llama2 }])).not.toThrow();
    expect(() => assertSharedTokenizer(tokenizer, [{ model, weight: 1 }, { model, weight: 1, tokenizer: llama2 }])).toThrow(
      new RuleLMError('`experts[1].tokenizer` has a different vocabulary from `tokenizer`; experts must share a tokenizer', { argument: 'experts[1].tokenizer' }),
    );
  });
});
