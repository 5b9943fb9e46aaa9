import { AutoModelForCausalLM, env } from '@huggingface/transformers';
import { basename, dirname } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { expertLoadOptions, generateWithExperts, loadExpertModel } from 'rulelm/transformers';
import { RuleLMError } from 'rulelm';
import { ensureTinyModel } from '../../../tools/model-generator/index';
import { expectRuleLMError } from '../../helpers/errors';
import { loadTiny } from '../../helpers/models';

const OFF = { allow_spinning: '0' };

describe('expertLoadOptions', () => {
  it('adds intra-op spinning off to no options', () => {
    expect(expertLoadOptions()).toEqual({ session_options: { extra: { session: { intra_op: OFF } } } });
  });

  it('keeps every other option and session entry, and does not change its argument', () => {
    const options = {
      dtype: 'q8' as const,
      session_options: { intraOpNumThreads: 2, extra: { optimization: { enable_gelu_approximation: '1' }, session: { use_env_allocators: '1', intra_op: { foo: 'x' } } } },
    };
    const copy = structuredClone(options);
    expect(expertLoadOptions(options)).toEqual({
      dtype: 'q8',
      session_options: { intraOpNumThreads: 2, extra: { optimization: { enable_gelu_approximation: '1' }, session: { use_env_allocators: '1', intra_op: { allow_spinning: '0', foo: 'x' } } } },
    });
    expect(options).toEqual(copy);
  });

  it('keeps an allow_spinning the caller set', () => {
    expect(expertLoadOptions({ session_options: { extra: { session: { intra_op: { allow_spinning: '1' } } } } })).toEqual({ session_options: { extra: { session: { intra_op: { allow_spinning: '1' } } } } });
  });

  it('rejects malformed options, naming the field', () => {
    expectRuleLMError(() => expertLoadOptions(null as never), '`options` must be an object of from_pretrained options, but is null', 'options');
    expectRuleLMError(() => expertLoadOptions({ session_options: 3 as never }), '`session_options` must be an object, but is 3', 'session_options');
    expectRuleLMError(() => expertLoadOptions({ session_options: { extra: { session: { intra_op: 'no' } } } }), '`session_options.extra.session.intra_op` must be an object, but is "no"', 'session_options.extra.session.intra_op');
  });
});

describe('loadExpertModel (generated tiny model, real onnxruntime sessions)', () => {
  it('rejects an id that is not a non-empty string', async () => {
    await expect(loadExpertModel('')).rejects.toBeInstanceOf(RuleLMError);
    await expect(loadExpertModel(7 as never)).rejects.toThrow('`id` must be a model id or folder name (a non-empty string), but is 7');
  });

  it('loads a model whose greedy generateWithExperts output equals the plainly loaded one, alone and as two experts', async () => {
    const plain = await loadTiny();
    const other = await ensureTinyModel('tiny-llama-expert-b', { seed: 2 });
    env.allowRemoteModels = false;
    env.localModelPath = `${dirname(plain.dir)}/`;
    // The real from_pretrained, watched: loadExpertModel hands it the caller's options plus spinning off.
    const fromPretrained = vi.spyOn(AutoModelForCausalLM, 'from_pretrained');
    const spinOff = await loadExpertModel(basename(plain.dir), { dtype: 'fp32' });
    const b = await loadExpertModel(basename(other), { dtype: 'fp32' });
    const received = { dtype: 'fp32', session_options: { extra: { session: { intra_op: OFF } } } };
    expect(fromPretrained.mock.calls).toEqual([[basename(plain.dir), received], [basename(other), received]]);
    expect(await fromPretrained.mock.results[0]!.value).toBe(spinOff);
    fromPretrained.mockRestore();
    const bPlain = await AutoModelForCausalLM.from_pretrained(basename(other), { dtype: 'fp32' });
    const run = async (experts: { model: typeof spinOff; weight: number }[]): Promise<readonly number[]> =>
      (await generateWithExperts({ tokenizer: plain.tokenizer, prompts: 'Once upon a time', experts, maxNewTokens: 12, eosTokenIds: [] })).rows[0]!.tokens;
    expect(await run([{ model: spinOff, weight: 1 }])).toEqual(await run([{ model: plain.model, weight: 1 }]));
    const both = await run([{ model: spinOff, weight: 1 }, { model: b, weight: -0.5 }]);
    expect(both).toHaveLength(12);
    expect(both).toEqual(await run([{ model: plain.model, weight: 1 }, { model: bPlain, weight: -0.5 }]));
    await Promise.all([spinOff.dispose(), b.dispose(), bPlain.dispose()]);
  }, 60_000);
});
