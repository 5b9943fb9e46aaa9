// The transformers.js internals rulelm's experts loop relies on (src/adapters/transformers/internals.ts),
// called on real models: when a transformers.js upgrade removes or changes one, the failure names
// the method and says so.
import type { Tensor as TensorType } from '@huggingface/transformers';
import type { CausalLMLike } from '../../../src/adapters/transformers/experts';
import type { ModelInputs } from '../../../src/adapters/transformers/internals';
import type { Loaded } from '../../helpers/models';
import { env, GenerationConfig, Tensor } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { generateWithExperts, modelInfo } from '../../../src/adapters/transformers/index';
import { assertGenerationMethods, CachedDecoder, disposeCache, GENERATION_METHODS, generationConfig, prepareInputs, TRANSFORMERS_VERSION_CHECKED, updateInputs } from '../../../src/adapters/transformers/internals';
import { RuleLMError } from '../../../src/index';
import { generateTokens, HAS_SHARED_MODEL, loadShared, loadTiny } from '../../helpers/models';

// Each private method with the number of declared parameters it has in transformers.js 4.3.1
// (`prepare_inputs_for_generation(...args)` forwards its arguments, so 0).
const ARITY = { _prepare_generation_config: 2, prepare_inputs_for_generation: 0, _update_model_kwargs_for_generation: 1 } as const;

const changed = (method: string, what: string): string =>
  `transformers.js's \`${method}\` changed (${what}): rulelm's experts loop calls this private method, and src/adapters/transformers/internals.ts was checked against @huggingface/transformers ${TRANSFORMERS_VERSION_CHECKED}; the transformers.js upgrade (installed: ${env.version}) changed it, so update internals.ts`;

// Calls a method, turning a throw into the failure message that names it.
async function attempt<T>(method: string, call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new Error(changed(method, `calling it threw ${String(error)}`), { cause: error });
  }
}

const dims = (value: unknown): unknown => (value as TensorType | undefined)?.dims;
const ids = (value: unknown): number[] => (typeof value === 'number' ? [value] : Array.isArray(value) ? value : []);

function lastRow(logits: TensorType): Float32Array {
  const [, positions, vocab] = logits.dims as [number, number, number];
  return (logits.data as Float32Array).subarray((positions - 1) * vocab, positions * vocab);
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if ((row[j] as number) > (row[best] as number)) best = j;
  return best;
}

describe.each([
  ['generated tiny model', loadTiny, true],
  ['shared stories260K', loadShared, HAS_SHARED_MODEL],
] as const)('transformers.js internals on the %s', (_name, load: () => Promise<Loaded>, present) => {
  it.skipIf(!present)('each private method exists with the arity it had', async () => {
    const { model } = await load();
    expect([...GENERATION_METHODS].sort()).toEqual(Object.keys(ARITY).sort());
    for (const [method, arity] of Object.entries(ARITY)) {
      const value = (model as unknown as Record<string, unknown>)[method];
      expect(typeof value, changed(method, 'it is no longer a method of PreTrainedModel')).toBe('function');
      expect((value as (...args: unknown[]) => unknown).length, changed(method, 'its number of declared parameters')).toBe(arity);
    }
  });

  it.skipIf(!present)('_prepare_generation_config returns the merged GenerationConfig', async () => {
    const { model } = await load();
    const config = await attempt('_prepare_generation_config', () => generationConfig(model));
    expect(config, changed('_prepare_generation_config', 'it no longer returns a GenerationConfig')).toBeInstanceOf(GenerationConfig);
    expect(ids((config as { eos_token_id?: unknown }).eos_token_id), changed('_prepare_generation_config', "its config no longer holds the model's EOS ids")).toEqual(modelInfo(model).eosTokenIds);
  });

  it.skipIf(!present)('one cached step: prepare_inputs_for_generation, forward, _update_model_kwargs_for_generation, past_key_values.dispose', async () => {
    const { model, tokenizer } = await load();
    const prompt = tokenizer.encode('Once upon a time');
    const n = prompt.length;
    const config = generationConfig(model);
    const inputs: ModelInputs = {
      input_ids: new Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, n]),
      attention_mask: new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    };

    const first = await attempt('prepare_inputs_for_generation', () => prepareInputs(model, [prompt.map(BigInt)], inputs, config));
    expect(dims(first.input_ids), changed('prepare_inputs_for_generation', 'the first pass no longer gets the whole prompt')).toEqual([1, n]);
    expect(dims(first.attention_mask), changed('prepare_inputs_for_generation', 'the attention mask')).toEqual([1, n]);
    const outputs = await model.forward(first);
    const logits = outputs.logits as TensorType;
    const vocab = modelInfo(model).vocabSize;
    expect([1, n]).toContain(logits.dims[1]);
    expect(logits.dims[2]).toBe(vocab);
    expect(Object.keys(outputs).some((k) => k.startsWith('present')), changed('_update_model_kwargs_for_generation', 'the outputs it reads the cache from hold no `present.*` tensors')).toBe(true);

    const next = argmax(lastRow(logits));
    const updated = await attempt('_update_model_kwargs_for_generation', () => updateInputs(model, [[BigInt(next)]], outputs, first));
    expect(dims(updated.input_ids), changed('_update_model_kwargs_for_generation', 'the next input_ids are not the chosen tokens')).toEqual([1, 1]);
    expect(Number((updated.input_ids as TensorType).data[0]), changed('_update_model_kwargs_for_generation', 'the next input_ids are not the chosen tokens')).toBe(next);
    expect(dims(updated.attention_mask), changed('_update_model_kwargs_for_generation', 'the attention mask is not extended by one column')).toEqual([1, n + 1]);
    const cache = updated.past_key_values as { get_seq_length?: () => number; dispose?: () => Promise<void> } | undefined;
    expect(cache?.get_seq_length?.(), changed('_update_model_kwargs_for_generation', 'past_key_values is not a cache of the prompt')).toBe(n);
    expect(typeof cache?.dispose, changed('past_key_values.dispose', 'the cache in past_key_values has no dispose method')).toBe('function');

    const second = await attempt('prepare_inputs_for_generation', () => prepareInputs(model, [[...prompt, next].map(BigInt)], updated, config));
    expect(dims(second.input_ids), changed('prepare_inputs_for_generation', 'with a cache, the pass no longer gets only the new token')).toEqual([1, 1]);
    const cached = lastRow((await model.forward(second)).logits as TensorType);
    const full = lastRow((await model({ input_ids: new Tensor('int64', BigInt64Array.from([...prompt, next].map(BigInt)), [1, n + 1]), attention_mask: new Tensor('int64', new BigInt64Array(n + 1).fill(1n), [1, n + 1]) })).logits as TensorType);
    let worst = 0;
    for (let j = 0; j < full.length; j++) worst = Math.max(worst, Math.abs((cached[j] as number) - (full[j] as number)));
    expect(worst, changed('_update_model_kwargs_for_generation', 'a step through the cache no longer gives the logits of a full pass')).toBeLessThan(1e-4);

    await expect(attempt('past_key_values.dispose', () => disposeCache(second)), changed('past_key_values.dispose', 'disposing the cache failed')).resolves.toBeUndefined();
  });

  it.skipIf(!present)('a CachedDecoder over a left-padded batch decodes each row greedily like generate() on it alone', async () => {
    const loaded = await load();
    const { model, tokenizer } = loaded;
    const prompts = ['Once upon a time', 'The dog'];
    const rows = prompts.map((p) => tokenizer.encode(p));
    const width = Math.max(...rows.map((r) => r.length));
    const pad = BigInt(tokenizer.pad_token_id ?? 0);
    const inputIds = rows.map((r) => [...new Array<bigint>(width - r.length).fill(pad), ...r.map(BigInt)]);
    const mask = BigInt64Array.from(rows.flatMap((r) => [...new Array<bigint>(width - r.length).fill(0n), ...new Array<bigint>(r.length).fill(1n)]));
    const decoder = new CachedDecoder(model, inputIds, mask);
    const tokens: number[][] = rows.map(() => []);
    try {
      for (let step = 0; step < 6; step++) {
        const outputs = await decoder.forward(inputIds);
        const logits = outputs.logits as TensorType;
        const [, positions, vocab] = logits.dims as [number, number, number];
        const chosen = rows.map((_, b) => {
          const start = (b * positions + positions - 1) * vocab;
          return [BigInt(argmax((logits.data as Float32Array).subarray(start, start + vocab)))];
        });
        chosen.forEach(([t], b) => (inputIds[b]!.push(t!), tokens[b]!.push(Number(t))));
        decoder.advance(chosen, outputs);
      }
    } finally {
      await decoder.dispose();
    }
    for (const [b, prompt] of prompts.entries()) expect(tokens[b]).toEqual((await generateTokens(loaded, prompt, { max_new_tokens: 6, min_new_tokens: 6 }))[0]);
  });
});

describe('assertGenerationMethods', () => {
  it('names the missing method and the transformers.js upgrade, before any forward pass', async () => {
    const { model, tokenizer } = await loadTiny();
    for (const method of GENERATION_METHODS) {
      const view = Object.create(model) as CausalLMLike & Record<string, unknown>;
      view[method] = undefined;
      const message = `\`experts[0].model\` has no \`${method}\` method; rulelm's experts loop calls this private transformers.js method (checked against @huggingface/transformers ${TRANSFORMERS_VERSION_CHECKED}), so either a transformers.js upgrade changed it or the model is not a transformers.js causal LM`;
      expect(() => assertGenerationMethods('experts[0].model', view)).toThrow(message);
      let forwards = 0;
      view.forward = async () => (forwards++, {});
      const run = generateWithExperts({ tokenizer, prompts: 'Hi', experts: [{ model: view, weight: 1 }], maxNewTokens: 2 });
      await expect(run).rejects.toThrow(RuleLMError);
      await expect(run).rejects.toThrow(message);
      expect(forwards).toBe(0);
    }
  });
});
