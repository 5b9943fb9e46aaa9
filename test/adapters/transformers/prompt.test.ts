import { describe, expect, it } from 'vitest';
import { RuleLMError } from '../../../src/index';
import { formatPrompt } from '../../../src/adapters/transformers/index';
import { loadTokenizer } from '../../helpers/tokenizers';

// Index of the last occurrence of `marker` in `ids` ending position, or -1.
function lastEnd(ids: readonly number[], marker: readonly number[]): number {
  let found = -1;
  for (let end = marker.length; end <= ids.length; end++) {
    if (marker.every((m, i) => ids[end - marker.length + i] === m)) found = end;
  }
  return found;
}

describe('formatPrompt', () => {
  it('uses the paper\'s template for a tokenizer without a chat template, with markers found in the tokenized prompt', () => {
    const tokenizer = loadTokenizer('llama2');
    const prompt = formatPrompt(tokenizer, 'Name three colors.');
    expect(prompt.template).toBe('paper');
    expect(prompt.text).toBe('<|user|>\nName three colors.\n<|assistant|>\n');
    const ids = tokenizer.encode(prompt.text);
    const piece = (id: number): string => tokenizer.decode([id]);
    expect(prompt.markers.user.map(piece).join('')).toBe('|user|>\n');
    expect(lastEnd(ids, prompt.markers.assistant)).toBe(ids.length);
    const instructionStart = lastEnd(ids, prompt.markers.user);
    expect(tokenizer.decode(ids.slice(instructionStart)).startsWith('Name three colors.')).toBe(true);
  });

  it('uses the tokenizer\'s chat template when it has one; markers open the user turn and the response', () => {
    const tokenizer = loadTokenizer('qwen3');
    const prompt = formatPrompt(tokenizer, 'Name three colors.');
    expect(prompt.template).toBe('chat');
    expect(prompt.text).toContain('<|im_start|>user\nName three colors.<|im_end|>\n<|im_start|>assistant\n');
    const ids = tokenizer.encode(prompt.text, { add_special_tokens: false });
    expect(tokenizer.decode([...prompt.markers.user])).toBe('<|im_start|>user\n');
    expect(tokenizer.decode([...prompt.markers.assistant])).toMatch(/^<\|im_end\|>\n<\|im_start\|>assistant\n/);
    expect(lastEnd(ids, prompt.markers.assistant)).toBe(ids.length);
    const start = lastEnd(ids, prompt.markers.user);
    expect(tokenizer.decode(ids.slice(start)).startsWith('Name three colors.')).toBe(true);
  });

  it('keeps `$` patterns in the instruction literal', () => {
    const tokenizer = loadTokenizer('llama2');
    const instruction = "Solve $$x^2 = 4$$ and print $& or $' or $`";
    expect(formatPrompt(tokenizer, instruction, { template: 'paper' }).text).toBe(`<|user|>\n${instruction}\n<|assistant|>\n`);
  });

  it('forces either template and rejects what cannot be done', () => {
    const qwen = loadTokenizer('qwen3');
    expect(formatPrompt(qwen, 'Hi', { template: 'paper' }).text).toBe('<|user|>\nHi\n<|assistant|>\n');
    const llama = loadTokenizer('llama2');
    expect(() => formatPrompt(llama, 'Hi', { template: 'chat' })).toThrow(RuleLMError);
    expect(() => formatPrompt(llama, 'Hi', { template: 'chat' })).toThrow('`template` is "chat", but the tokenizer has no chat template');
    expect(() => formatPrompt(llama, 'Hi', { template: 'jinja' } as never)).toThrow('`template` must be one of "auto", "paper", "chat", but is "jinja"');
    expect(() => formatPrompt(llama, 3 as never)).toThrow('`instruction` must be a string, but is 3');
    expect(() => formatPrompt(llama, 'Hi', { templat: 'paper' } as never)).toThrow('unknown option "templat"');
  });
});
