// Error messages found by a new-user review of 0.2: each names the argument as the user wrote
// it and says what was expected.
import { describe, it } from 'vitest';
import { EndOfSequenceRamp, ProductOfExperts, TokenBias, createVocabulary, hewitt2024 } from '../../src/index';
import { RuleLMLogitsProcessor, formatPrompt, hewitt2024ForModel } from '../../src/adapters/transformers/index';
import { expectRuleLMError } from '../helpers/errors';

const bias = (): TokenBias => new TokenBias({ biases: [{ token: 1, bias: 1 }] });

describe('error messages', () => {
  it('a single id option is named without an invented index', () => {
    expectRuleLMError(() => new TokenBias({ biases: [{ token: -1, bias: 1 }] }), '`biases[0].token` must be a token id (an integer of at least 0), but is -1', 'biases[0].token');
    expectRuleLMError(() => new EndOfSequenceRamp({ eosTokenIds: -1 }), '`eosTokenIds` must be a token id (an integer of at least 0), but is -1', 'eosTokenIds');
    expectRuleLMError(() => new EndOfSequenceRamp({ eosTokenIds: '2' as never }), '`eosTokenIds` must be a token id or an array of token ids, but is "2"', 'eosTokenIds');
    expectRuleLMError(() => new EndOfSequenceRamp({ eosTokenIds: [2, -1] }), '`eosTokenIds[1]` must be a token id (an integer of at least 0), but is -1', 'eosTokenIds[1]');
    expectRuleLMError(() => new RuleLMLogitsProcessor(bias(), { padTokenId: -1 }), '`padTokenId` must be a token id (an integer of at least 0), but is -1', 'padTokenId');
  });

  it('the adapter checks vocabSize, tokenizer and padTokenId before generation', () => {
    expectRuleLMError(() => new RuleLMLogitsProcessor(bias(), { vocabSize: '512' as never }), '`vocabSize` must be a positive integer, but is "512"', 'vocabSize');
    expectRuleLMError(() => new RuleLMLogitsProcessor(bias(), { vocabSize: 1.5 }), '`vocabSize` must be a positive integer, but is 1.5', 'vocabSize');
    expectRuleLMError(() => new RuleLMLogitsProcessor(bias(), { vocabSize: 8, model: { config: { vocab_size: 16 } } }), "`vocabSize` is 8, but the model's config says 16; leave `vocabSize` out when you pass the model", 'vocabSize');
    expectRuleLMError(() => new RuleLMLogitsProcessor(bias(), { tokenizer: 5 as never }), '`tokenizer` must be a transformers.js tokenizer, but is 5', 'tokenizer');
    expectRuleLMError(() => new RuleLMLogitsProcessor(bias(), { vocabSize: 8, padTokenId: 8 }), '`padTokenId` is 8, outside a vocabulary of 8 ids (0 to 7)', 'padTokenId');
  });

  it('a missing or wrong tokenizer is a RuleLMError, not a TypeError', () => {
    expectRuleLMError(() => formatPrompt(null as never, 'x'), '`tokenizer` must be a transformers.js tokenizer (an object with encode and get_vocab), but is null', 'tokenizer');
    expectRuleLMError(() => hewitt2024ForModel({ config: { vocab_size: 10, eos_token_id: 2 } }, undefined as never), '`tokenizer` must be a transformers.js tokenizer (an object with encode and get_vocab), but is undefined', 'tokenizer');
  });

  it('a processor given where an expert entry belongs says how to wrap it', () => {
    expectRuleLMError(() => new ProductOfExperts({ experts: [bias() as never] }), '`experts[0]` must be { processor, weight } (wrap the token-bias processor: { processor, weight: 1 }), but is "token-bias"', 'experts[0]');
  });

  it('a preset with every rule off is refused', () => {
    const vocabulary = createVocabulary({ pieces: ['<unk>', '<s>', '</s>', 'a'], eosTokenIds: 2 });
    expectRuleLMError(() => hewitt2024(vocabulary, { rules: '', fidelity: 'clean' }), '`rules` must be at least one rule (for the base model alone, use no processor), but is ""', 'rules');
    expectRuleLMError(() => hewitt2024(vocabulary, { rules: { eos: false, uniform: false, diversity: false }, fidelity: 'clean' }), '`rules` must be at least one rule (for the base model alone, use no processor), but is {"eos":false,"uniform":false,"diversity":false}', 'rules');
  });

  it('checkVocabulary refuses a vocabulary size that is not a positive integer', () => {
    expectRuleLMError(() => bias().checkVocabulary(Number.NaN), '`vocabSize` must be a positive integer, but is NaN', 'vocabSize');
    expectRuleLMError(() => new EndOfSequenceRamp({ eosTokenIds: 2 }).checkVocabulary(-1), '`vocabSize` must be a positive integer, but is -1', 'vocabSize');
  });
});
