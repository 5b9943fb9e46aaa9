// Every tokenizer family: resolveText covers every spelling (see ./spellings.ts), and through
// real transformers.js generation: prompt ids exactly the
// tokenizer's own (one BOS), markers that count from the user's content and the response start
// (t = 0 and t = 3), and left-padded batches equal to each prompt alone for pad == BOS, pad ==
// EOS and a distinct pad. Models: tiny random-weight Llamas with each tokenizer, made by
// tools/model-generator. Expectations come from hand-written template text and the tokenizer's
// own decoder, not from rulelm.
import type { PreTrainedModel, PreTrainedTokenizer, Tensor } from '@huggingface/transformers';
import type { TraceEvent } from 'rulelm/transformers';
import type { Family } from './families';
import { afterAll, describe, expect, it } from 'vitest';
import { Chain, RepetitionPenalty } from 'rulelm';
import { formatPrompt, hewitt2024ForModel, logitsProcessorList, modelInfo } from 'rulelm/transformers';
import { FAMILIES, familyTokenizer, idOf, loadFamilyModel } from './families';
import { coverage } from './spellings';

const INSTRUCTIONS = ['Name three colors.', 'Write a haiku about the sea, please!', '(1) Why?'];
// The batch: a long and a short prompt (the short one is left-padded).
const BATCH = INSTRUCTIONS.slice(1);
const table = new Map<string, Record<string, string>>();
const record = (family: Family, column: string, value: string): void => {
  table.set(family.name, { ...table.get(family.name), [column]: value });
};

afterAll(() => {
  const columns = ['texts with every spelling covered', 'single BOS', 'markers t = 0 and t = 3', 'batch rows equal to alone'];
  console.log(`[table] | family | ${columns.join(' | ')} |`);
  for (const [name, row] of table) console.log(`[table] | ${name} | ${columns.map((c) => row[c] ?? '-').join(' | ')} |`);
});

function templates(tokenizer: PreTrainedTokenizer): ('chat' | 'paper')[] {
  return typeof tokenizer.chat_template === 'string' ? ['chat', 'paper'] : ['paper'];
}

const decode = (tokenizer: PreTrainedTokenizer, ids: readonly number[]): string => tokenizer.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });

// Where the user's content starts: just after the first prefix of the prompt whose decoded text
// ends with the template's user header (hand-written per family; the paper's "<|user|>\n").
function contentStart(tokenizer: PreTrainedTokenizer, ids: readonly number[], header: string): number {
  for (let p = 1; p <= ids.length; p++) if (decode(tokenizer, ids.slice(0, p)).endsWith(header)) return p;
  throw new Error(`test: the header ${JSON.stringify(header)} is not in ${JSON.stringify(decode(tokenizer, ids))}`);
}

async function generate(model: PreTrainedModel, inputs: Record<string, unknown>, logitsProcessor: unknown, maxNewTokens: number): Promise<number[][]> {
  const width = (inputs.input_ids as Tensor).dims[1] as number;
  const output = (await model.generate({ ...inputs, do_sample: false, max_new_tokens: maxNewTokens, logits_processor: logitsProcessor } as never)) as Tensor;
  return (output.tolist() as bigint[][]).map((row) => row.slice(width).map(Number));
}

const ids = (tensor: unknown): number[] => ((tensor as Tensor).tolist() as bigint[][])[0]!.map(Number);

describe.each(FAMILIES)('$name', (family) => {
  it('resolveText covers every spelling the tokenizer writes for each text, in every context tried', () => {
    const result = coverage(familyTokenizer(family));
    record(family, 'texts with every spelling covered', `${result.covered}/${result.tried}`);
    expect(result.missing).toEqual([]);
    expect(result.covered).toBe(result.tried);
  });

  it('prompt ids are exactly the tokenizer\'s own, with one BOS (or none when the tokenizer uses none)', () => {
    const tokenizer = familyTokenizer(family);
    const bos = family.bos === undefined ? undefined : idOf(tokenizer, family.bos);
    let right = 0;
    let tried = 0;
    for (const template of templates(tokenizer)) {
      for (const instruction of INSTRUCTIONS) {
        tried++;
        const prompt = formatPrompt(tokenizer, instruction, { template });
        const own =
          template === 'chat'
            ? (tokenizer.apply_chat_template([{ role: 'user', content: instruction }], { tokenize: true, add_generation_prompt: true, return_tensor: false, return_dict: false }) as number[])
            : tokenizer.encode(prompt.text);
        expect([...prompt.ids]).toEqual(own);
        expect(ids(tokenizer(prompt.text, { add_special_tokens: prompt.addSpecialTokens }).input_ids)).toEqual(own);
        // How many BOS: the chat template writes it (Gemma, Llama 3; Qwen uses none), the paper's
        // prompt gets what the tokenizer adds to any text.
        const addsBos = bos !== undefined && tokenizer.encode('x')[0] === bos;
        const expected = bos === undefined ? 0 : template === 'chat' ? 1 : addsBos ? 1 : 0;
        expect(own.filter((id) => id === bos).length).toBe(expected);
        if (expected === 1) expect(own[0]).toBe(bos);
        right++;
      }
    }
    record(family, 'single BOS', `${right}/${tried}`);
  });

  it('markers: diversity counts from the user\'s content and t from the response start (t = 0 and t = 3), with each template', async () => {
    const model = await loadFamilyModel(family);
    const tokenizer = familyTokenizer(family);
    const eos = modelInfo(model).eosTokenIds;
    let right = 0;
    let tried = 0;
    for (const template of templates(tokenizer)) {
      const rules = hewitt2024ForModel(model, tokenizer, { template });
      for (const instruction of INSTRUCTIONS.slice(0, 2)) {
        tried++;
        const prompt = formatPrompt(tokenizer, instruction, { template });
        const start = contentStart(tokenizer, prompt.ids, template === 'chat' ? (family.chatUserHeader as string) : '<|user|>\n');
        const events: TraceEvent[] = [];
        const inputs = tokenizer(prompt.text, { add_special_tokens: prompt.addSpecialTokens });
        const [response] = await generate(model, inputs, logitsProcessorList(rules, { model, tokenizer, trace: (e) => events.push(e) }), 4);
        expect(response!.slice(0, 3).some((t) => eos.includes(t))).toBe(false);
        const at = (step: number, kind: string): TraceEvent => events.find((e) => e.step === step && e.kind === kind)!;
        const penalised = (step: number): number[] => at(step, 'repetition-penalty').changes.map((c) => c.token).sort((a, b) => a - b);
        const content = [...prompt.ids.slice(start)];
        expect(penalised(0)).toEqual([...new Set(content)].sort((a, b) => a - b));
        expect(penalised(3)).toEqual([...new Set([...content, ...response!.slice(0, 3)])].sort((a, b) => a - b));
        for (const c of at(3, 'repetition-penalty').changes) expect(c.delta).toBeCloseTo(-1.5, 4);
        expect(at(0, 'end-of-sequence-ramp').changes).toEqual([]);
        expect(at(3, 'end-of-sequence-ramp').changes.map((c) => c.token)).toEqual([...eos].sort((a, b) => a - b));
        for (const c of at(3, 'end-of-sequence-ramp').changes) expect(c.delta).toBeCloseTo((15 * 3) / 250, 5);
        right++;
      }
    }
    record(family, 'markers t = 0 and t = 3', `${right}/${tried}`);
  });

  it('a left-padded batch gives each row what the prompt gets alone, for pad == BOS, pad == EOS and a distinct pad', async () => {
    const model = await loadFamilyModel(family);
    const bosPiece = family.bos ?? (family.bosOverride as string);
    const tokenizer = familyTokenizer(family);
    const prompts = BATCH.map((instruction) => formatPrompt(tokenizer, instruction));
    const addSpecialTokens = prompts[0]!.addSpecialTokens;
    const preset = hewitt2024ForModel(model, tokenizer);
    // The preset, and a presence penalty over the whole sequence: it sees any padding or BOS kept.
    const rules = new Chain(preset, new RepetitionPenalty({ mode: 'presence', penalty: 1.5, scope: 'sequence' }));
    const saved = { pad_token: tokenizer.pad_token, pad_token_id: tokenizer.pad_token_id, padding_side: tokenizer.padding_side };
    let right = 0;
    let tried = 0;
    try {
      for (const pad of [bosPiece, family.eos, family.distinctPad]) {
        tried++;
        // transformers.js pads with the tokenizer's pad_token_id at call time.
        const padId = idOf(tokenizer, pad);
        Object.assign(tokenizer, { pad_token: pad, pad_token_id: padId, padding_side: 'left' });
        const batchEvents: TraceEvent[] = [];
        const batchInputs = tokenizer(prompts.map((p) => p.text), { padding: true, add_special_tokens: addSpecialTokens });
        const padded = (batchInputs.input_ids as Tensor).tolist() as bigint[][];
        expect(Number(padded[1]![0])).toBe(padId);
        const batch = await generate(model, batchInputs, logitsProcessorList(rules, { model, tokenizer, trace: (e) => batchEvents.push(e) }), 4);
        for (const [b, prompt] of prompts.entries()) {
          const aloneEvents: TraceEvent[] = [];
          const [alone] = await generate(model, tokenizer(prompt.text, { add_special_tokens: addSpecialTokens }), logitsProcessorList(rules, { model, tokenizer, trace: (e) => aloneEvents.push(e) }), 4);
          const ended = alone!.findIndex((t) => modelInfo(model).eosTokenIds.includes(t));
          const steps = ended < 0 ? alone!.length : ended + 1;
          expect(batch[b]!.slice(0, steps)).toEqual(alone!.slice(0, steps));
          const view = (events: TraceEvent[], row: number): string[] =>
            events.filter((e) => e.batchIndex === row && e.step < steps).map((e) => `${e.step}/${e.processorIndex}: ${e.changes.map((c) => `${c.token}${c.delta.toFixed(3)}`).join(' ')}`);
          expect(view(batchEvents, b)).toEqual(view(aloneEvents, 0));
        }
        right++;
      }
    } finally {
      Object.assign(tokenizer, saved);
    }
    record(family, 'batch rows equal to alone', `${right}/${tried}`);
  });
});
