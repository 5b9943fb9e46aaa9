import { describe, expect, it } from 'vitest';
import { GenerationRow } from '../../../src/adapters/transformers/experts-rows';
import { StopStrings } from '../../../src/adapters/transformers/experts-stop';
import { TokenBias } from '../../../src/index';
import { loadTokenizer } from '../../helpers/tokenizers';

const tokenizer = loadTokenizer('llama2');
const encode = (text: string): number[] => tokenizer.encode(text, { add_special_tokens: false });

describe('GenerationRow', () => {
  const prompt = tokenizer.encode('Once upon a');
  const response = encode('Once upon a time. The end').slice(encode('Once upon a').length);

  it('runs until an EOS id or a stop string, and gives its text after the prompt', () => {
    const stops = new StopStrings(tokenizer, ['.']);
    const row = new GenerationRow(prompt);
    row.accept(response[0]!, Int32Array.of(2), stops);
    expect(row.finishReason).toBeUndefined();
    expect(row.result(tokenizer, stops)).toEqual({ tokens: [response[0]], text: ' time', finishReason: 'length' });
    row.accept(response[1]!, Int32Array.of(2), stops);
    expect(row.result(tokenizer, stops)).toEqual({ tokens: response.slice(0, 2), text: ' time', finishReason: 'stop' });
    const ended = new GenerationRow(prompt);
    ended.accept(2, Int32Array.of(2), stops);
    expect(ended.result(tokenizer, stops)).toEqual({ tokens: [2], text: '', finishReason: 'eos' });
  });

  it('feeds its processor sequence each token', () => {
    const row = new GenerationRow(prompt);
    row.start(new TokenBias({ biases: [{ token: 5, bias: 1 }] }), 32000, 4);
    row.accept(response[0]!, Int32Array.of(2), new StopStrings(tokenizer, []));
    expect(row.sequence?.history.responseLength).toBe(1);
    expect(row.sequence?.history.promptLength).toBe(prompt.length);
  });
});
