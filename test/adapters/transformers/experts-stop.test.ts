import { describe, expect, it } from 'vitest';
import { decodeAfter, StopStrings } from '../../../src/adapters/transformers/experts-stop';
import { loadTokenizer } from '../../helpers/tokenizers';

const tokenizer = loadTokenizer('llama2');
const encode = (text: string): number[] => tokenizer.encode(text, { add_special_tokens: false });

describe('decodeAfter', () => {
  it('keeps the leading space a SentencePiece decoder drops at the start of a text', () => {
    const prompt = tokenizer.encode('Once upon a');
    const response = encode('Once upon a time there').slice(encode('Once upon a').length);
    expect(tokenizer.decode(response)).toBe('time there');
    expect(decodeAfter(tokenizer, prompt, response)).toBe(' time there');
    expect(decodeAfter(tokenizer, encode(' a'), response)).toBe(' time there');
  });

  it('skips special tokens unless skipSpecialTokens is false (the CLI\'s raw text)', () => {
    const prompt = tokenizer.encode('Once upon a'); // starts with <s>
    const response = [...encode('Once upon a time there').slice(encode('Once upon a').length), tokenizer.eos_token_id!];
    expect(decodeAfter(tokenizer, prompt, response)).toBe(' time there');
    expect(decodeAfter(tokenizer, prompt, response, true)).toBe(' time there');
    expect(decodeAfter(tokenizer, prompt, response, false)).toBe(' time there</s>');
  });
});

describe('StopStrings', () => {
  const prompt = tokenizer.encode('Q:');
  const tokens = encode('Q: Once upon a time. The end');

  it('finds a stop string the last token completed, in the last tokens only', () => {
    const stops = new StopStrings(tokenizer, ['time.']);
    const upTo = (text: string): number[] => tokens.slice(0, encode(text).length);
    expect(stops.completes(prompt, upTo('Q: Once upon a time'))).toBe(false);
    expect(stops.completes(prompt, upTo('Q: Once upon a time.'))).toBe(true);
    // Its window is 5 * 4 + 8 = 28 tokens: a stop string further back ("time" "." here) is not seen again.
    const done = upTo('Q: Once upon a time.');
    expect(done.slice(-2).map((t) => tokenizer.decode([t]))).toEqual(['time', '.']);
    const long = [...done, ...new Array<number>(26).fill(encode(' a')[0]!)];
    expect(stops.completes(prompt, long)).toBe(true);
    expect(stops.completes(prompt, [...long, long.at(-1)!])).toBe(false);
  });

  it('with no stop strings, never decodes', () => {
    const stops = new StopStrings({ ...tokenizer, decode: () => { throw new Error('decoded'); }, encode: tokenizer.encode.bind(tokenizer), get_vocab: () => ({}) }, []);
    expect(stops.completes(prompt, tokens)).toBe(false);
  });

  it('cuts the text before the earliest stop string, or keeps it all', () => {
    const stops = new StopStrings(tokenizer, ['end', '.']);
    expect(stops.cut(' Once upon a time. The end')).toBe(' Once upon a time');
    expect(stops.cut(' The end.')).toBe(' The ');
    expect(stops.cut(' Once')).toBe(' Once');
  });
});
