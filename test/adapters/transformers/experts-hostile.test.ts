// Issue 13, kind 1: a NaN or +Infinity logit from a broken model. The experts loop must combine it
// as the core's exact ProductOfExperts does (NaN stays at its own token, +Infinity takes all the
// mass), not abort with "every token is masked". A real model runs through the real loop; only
// its logits are overwritten after each real forward pass, as a broken layer would leave them.
import type { CausalLMLike } from '../../../src/adapters/transformers/index';
import { describe, expect, it } from 'vitest';
import { TokenBias, TopK } from '../../../src/index';
import { generateWithExperts } from '../../../src/adapters/transformers/index';
import { loadTiny } from '../../helpers/models';

// The model, with every row's logits replaced by `[0, 1, 2, 3, 4, value, 0, 0, 0, ...]`.
function broken(model: CausalLMLike, value: number): CausalLMLike {
  const wrapped = Object.create(model) as CausalLMLike;
  wrapped.forward = async (inputs) => {
    const outputs = await model.forward(inputs);
    const logits = outputs.logits as { data: Float32Array; dims: number[] };
    const vocab = logits.dims[2] as number;
    for (let at = 0; at < logits.data.length; at += vocab) {
      logits.data.fill(0, at, at + vocab);
      logits.data.set([0, 1, 2, 3, 4, value, 0, 0], at);
    }
    return outputs;
  };
  return wrapped;
}

describe('generateWithExperts on NaN and +Infinity logits', () => {
  const zeroBias = (): TokenBias => new TokenBias({ biases: [{ token: 0, bias: 0 }] });

  // TopK reads the row, so the loop normalizes for it; for the additive bias and for none it skips
  // the normalizers.
  const reader = (): TopK => new TopK({ topK: 50 });

  it('a NaN logit stays at its own token: argmax 4, with a processor (additive, or one the loop normalizes for) and without', async () => {
    const { model, tokenizer } = await loadTiny();
    const experts = [{ model: broken(model, NaN), weight: 1 }];
    for (const processor of [zeroBias(), reader(), undefined]) {
      const { rows } = await generateWithExperts({ tokenizer, prompts: 'Hi', experts, maxNewTokens: 2, eosTokenIds: [], ...(processor === undefined ? {} : { processor }) });
      expect(rows[0]?.tokens).toEqual([4, 4]);
    }
  });

  it('a +Infinity logit takes all the mass: 5 every step, greedy or sampled, with a processor or without', async () => {
    const { model, tokenizer } = await loadTiny();
    const experts = [{ model: broken(model, Infinity), weight: 1 }];
    for (const processor of [zeroBias(), reader(), undefined]) {
      for (const sample of [false, true]) {
        const { rows } = await generateWithExperts({ tokenizer, prompts: 'Hi', experts, maxNewTokens: 2, eosTokenIds: [], sample, ...(processor === undefined ? {} : { processor }) });
        expect(rows[0]?.tokens).toEqual([5, 5]);
      }
    }
  });

  it('when the experts leave no token that is neither masked nor NaN, the error says so', async () => {
    const { model, tokenizer } = await loadTiny();
    // Token 5: log-prob 0 under the first expert, NaN under the second; every other token is ruled
    // out by the first expert's +Infinity.
    const experts = [
      { model: broken(model, Infinity), weight: 1 },
      { model: broken(model, NaN), weight: -0.5 },
    ];
    await expect(generateWithExperts({ tokenizer, prompts: 'Hi', experts, maxNewTokens: 2, eosTokenIds: [], processor: zeroBias() })).rejects.toThrow(
      '[rulelm] every token is masked (-Infinity) or NaN in row 0 at step 0',
    );
  });
});
