import { describe, expect, it } from 'vitest';
import { modelInfo } from '../../../src/adapters/transformers/index';
import { HAS_SHARED_MODEL, loadShared, loadTiny } from '../../helpers/models';

describe('modelInfo', () => {
  it('reads vocabulary size, EOS, padding and BOS ids from a generated model', async () => {
    const { model } = await loadTiny();
    expect(modelInfo(model)).toEqual({ vocabSize: (model.config as unknown as { vocab_size: number }).vocab_size, eosTokenIds: [2], padTokenId: 0, bosTokenId: 1 });
  });

  it.skipIf(!HAS_SHARED_MODEL)('prefers the generation config\'s EOS list (stories260K stops on 2 and 1)', async () => {
    const { model } = await loadShared();
    expect(modelInfo(model)).toEqual({ vocabSize: 512, eosTokenIds: [2, 1], padTokenId: 0, bosTokenId: 1 });
  });

  it('falls back to the model config and to nothing', () => {
    expect(modelInfo({ config: { vocab_size: 10, eos_token_id: [3, 4] }, generation_config: null })).toEqual({ vocabSize: 10, eosTokenIds: [3, 4], padTokenId: undefined, bosTokenId: undefined });
    expect(modelInfo({})).toEqual({ vocabSize: undefined, eosTokenIds: [], padTokenId: undefined, bosTokenId: undefined });
    expect(() => modelInfo(null as never)).toThrow('`model` must be a transformers.js model');
  });

  it('refuses a tokenizer in place of the model', async () => {
    const { tokenizer } = await loadTiny();
    expect(() => modelInfo(tokenizer as never)).toThrow('`model` is a tokenizer (it has encode() and get_vocab()), not a model; pass the model as `model` and the tokenizer as `tokenizer`');
  });
});
