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

  it('a marker identifies its own turn: Llama 3 closes both headers with <|end_header_id|> and a blank line, so the user marker includes the role', () => {
    const tokenizer = loadTokenizer('llama3');
    const prompt = formatPrompt(tokenizer, 'Name three colors.');
    expect(tokenizer.decode([...prompt.markers.user])).toBe('<|start_header_id|>user<|end_header_id|>\n\n');
    expect(tokenizer.decode([...prompt.markers.assistant])).toBe('<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
    const ids = [...prompt.ids];
    // It matches once, where the user's text starts (before: [<|end_header_id|>, "\n\n"] matched at the assistant header too).
    expect(lastEnd(ids, prompt.markers.user)).toBe(ids.indexOf(tokenizer.encode('Name', { add_special_tokens: false })[0]!));
    const tail = prompt.markers.user.slice(-2);
    expect(lastEnd(ids, tail)).toBe(ids.length); // the old marker's last match: the response start
  });

  it('gives the ids of apply_chat_template(tokenize: true) and says how to tokenize the text: one BOS on Gemma, not two', () => {
    const gemma = loadTokenizer('gemma3');
    const prompt = formatPrompt(gemma, 'Name three colors.');
    const own = gemma.apply_chat_template([{ role: 'user', content: 'Name three colors.' }], { tokenize: true, add_generation_prompt: true, return_tensor: false, return_dict: false }) as number[];
    expect([...prompt.ids]).toEqual(own);
    expect(prompt.addSpecialTokens).toBe(false);
    const bos = gemma.bos_token_id!;
    expect(own.filter((id) => id === bos)).toEqual([bos]);
    expect(gemma.encode(prompt.text, { add_special_tokens: prompt.addSpecialTokens })).toEqual(own);
    expect(gemma.encode(prompt.text).slice(0, 2)).toEqual([bos, bos]); // what tokenizer(text) gave before: <bos><bos>
    // The paper's template: the tokenizer adds BOS as it does to any text.
    const paper = formatPrompt(gemma, 'Name three colors.', { template: 'paper' });
    expect(paper.addSpecialTokens).toBe(true);
    expect([...paper.ids]).toEqual(gemma.encode('<|user|>\nName three colors.\n<|assistant|>\n'));
    expect(paper.ids.filter((id) => id === bos)).toEqual([bos]);
  });

  it('rejects a chat template that drops the message, or has no tokens of its own around it', () => {
    const base = loadTokenizer('qwen3');
    const fake = (render: (content: string) => string): object => ({
      get_vocab: () => base.get_vocab(),
      encode: (text: string, options?: { add_special_tokens?: boolean }) => base.encode(text, options),
      all_special_ids: base.all_special_ids,
      chat_template: 'x',
      apply_chat_template: (messages: { content: string }[], options: { tokenize: boolean }) => {
        const text = render(messages.map((m) => m.content).join(''));
        return options.tokenize ? base.encode(text, { add_special_tokens: false }) : text;
      },
    });
    expect(() => formatPrompt(fake(() => 'nothing') as never, 'Hi')).toThrow('the tokenizer\'s chat template drops the message text; use `template: "paper"`');
    expect(() => formatPrompt(fake((c) => c) as never, 'Hi')).toThrow('the tokenizer\'s chat template has no turn markers around the message; use `template: "paper"` or pass `markers`');
  });

  it('finds a chat template\'s markers once per tokenizer, and again when its chat_template changes', () => {
    const base = loadTokenizer('qwen3');
    // The real tokenizer, with apply_chat_template counting its calls (and calling the original on the wrapper).
    let calls = 0;
    const counted = Object.create(base) as typeof base;
    counted.apply_chat_template = function (this: typeof base, ...args: Parameters<typeof base.apply_chat_template>) {
      calls++;
      return base.apply_chat_template.apply(this, args);
    } as typeof base.apply_chat_template;
    const fresh = formatPrompt(Object.create(base) as typeof base, 'Name three colors.');
    const first = formatPrompt(counted, 'Name three colors.');
    expect(calls).toBe(11); // the text, the ids, and nine renders to find the markers
    expect(first).toEqual(fresh);
    // The caller may change the arrays it gets: the kept markers stay.
    (first.markers.user as number[]).push(7);
    const second = formatPrompt(counted, 'Write a haiku.');
    expect(calls).toBe(13); // the text and the ids only
    expect(second.markers).toEqual(fresh.markers);
    expect(second.ids).toEqual(formatPrompt(Object.create(base) as typeof base, 'Write a haiku.').ids);
    // Another template: the markers are found again, once.
    counted.chat_template = '{% for m in messages %}<|im_start|>{{ m.role | upper }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>ASSISTANT\n{% endif %}';
    const changed = formatPrompt(counted, 'Name three colors.');
    expect(calls).toBe(24);
    expect(changed.text).toBe('<|im_start|>USER\nName three colors.<|im_end|>\n<|im_start|>ASSISTANT\n');
    expect(base.decode([...changed.markers.user])).toBe('<|im_start|>USER\n');
    expect(base.decode([...changed.markers.assistant])).toBe('<|im_end|>\n<|im_start|>ASSISTANT\n');
    formatPrompt(counted, 'Write a haiku.');
    expect(calls).toBe(26);
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
