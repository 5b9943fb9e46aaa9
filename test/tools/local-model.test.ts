import { env } from '@huggingface/transformers';
import { basename, dirname, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLocalModel } from '../../tools/local-model';
import { ensureTinyModel } from '../../tools/model-generator/index';

describe('loadLocalModel', () => {
  it('loads a model folder offline, by its name below its parent folder', async () => {
    const dir = await ensureTinyModel();
    const loaded = await loadLocalModel(relative(process.cwd(), dir));
    expect(loaded.dir).toBe(dir);
    expect(loaded.name).toBe(basename(dir));
    expect(env.localModelPath).toBe(`${dirname(dir)}/`);
    expect(env.allowRemoteModels).toBe(false);
    expect((loaded.model.config as unknown as { vocab_size: number }).vocab_size).toBe(365);
    expect(loaded.tokenizer.decode(loaded.tokenizer.encode('Once upon a time', { add_special_tokens: false }))).toBe('Once upon a time');
  });
});
