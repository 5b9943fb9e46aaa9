import type { MemberChanges, Vocabulary } from '../../src/index';
import { describe, expect, it } from 'vitest';
import { Chain, createVocabulary, EndOfSequenceRamp, hewitt2024, HEWITT2024, Processor, RepetitionPenalty, startSequence, TokenBias, toVocabulary } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';
import { loadReference, REFERENCE_PATH } from '../helpers/reference';
import { encode, loadTokenizer, pieceId } from '../helpers/tokenizers';

const reference = loadReference();
const V = 32000;
const EOS = 2;
const THE = 272; // "▁the" on the llama2 (Mistral-family) vocabulary

/** The paper's prompt for an instruction, tokenized by llama2 with BOS. */
function paperPrompt(instruction: string): number[] {
  return loadTokenizer('llama2').encode(HEWITT2024.promptTemplate.replace('{instruction}', instruction));
}

/** The uniform rule as the reference lists it, with the ids of the llama2 package's vocabulary. */
function uniformOnLlama2(): Map<number, number> {
  const biases = new Map<number, number>();
  for (const u of HEWITT2024.uniform) biases.set(pieceId('llama2', u.piece), u.bias);
  return biases;
}

/** The text a reference piece spells. */
function spelling(piece: string): string {
  return piece === '<0x0A>' ? '\n' : piece.replaceAll('\u2581', ' ');
}

describe('hewitt2024 on the real llama2 tokenizer', () => {
  describe.skipIf(reference === undefined)(`uniform rule vs ${REFERENCE_PATH}`, () => {
    it('resolves exactly the 15 reference pieces with their biases, in order', () => {
      const ref = reference as NonNullable<typeof reference>;
      const preset = hewitt2024(loadTokenizer('llama2'));
      const uniform = preset.table.filter((r) => r.rule === 'uniform');
      expect(uniform.map(({ piece, bias }) => ({ piece, bias }))).toEqual(ref.rules.uniform.token_biases.map(({ piece, bias }) => ({ piece, bias })));
      // The ids are this vocabulary's, not Llama 2's.
      expect(uniform.map((r) => r.id)).toEqual(ref.rules.uniform.token_biases.map((t) => pieceId('llama2', t.piece)));
      expect(preset.skipped).toEqual([]);
    });
  });

  it('describes itself: rules, fidelity, markers and table rows', () => {
    const preset = hewitt2024(loadTokenizer('llama2'));
    expect(preset.kind).toBe('chain');
    expect(preset.additive).toBe(true);
    expect(preset.rules).toEqual(['eos', 'uniform', 'diversity']);
    expect(preset.fidelity).toBe('reference');
    expect(preset.processors.map((p) => p.kind)).toEqual(['end-of-sequence-ramp', 'token-bias', 'repetition-penalty']);
    // "\n<|user|>\n" and "\n<|assistant|>\n" after the newline and "<"
    expect(preset.markers).toEqual({ user: [28766, 1838, 28766, 28767, 13], assistant: [28766, 489, 11143, 28766, 28767, 13] });
    expect(preset.table.find((r) => r.rule === 'eos')).toEqual({ rule: 'eos', id: 2, piece: '</s>', bias: 15, when: '15 * t / 250 for t < 250, 0 from t = 250' });
    expect(preset.table.find((r) => r.rule === 'diversity')).toEqual({ rule: 'diversity', id: -1, piece: 'every token type seen', bias: -1.5, when: 'since the last user tag' });
    expect(preset.table).toHaveLength(17);
    const clean = hewitt2024(loadTokenizer('llama2'), { fidelity: 'clean' });
    expect(clean.markers).toBeUndefined();
    expect(clean.table.find((r) => r.rule === 'eos')?.when).toBe('15 * t / 250 for t < 250, 15 from t = 250');
    expect(clean.table.find((r) => r.rule === 'diversity')?.when).toBe('since the response start');
  });

  describe('a Chain of rule instances', () => {
    it('is a Chain and a Processor whose members are the rules, each an instance of its class', () => {
      const preset = hewitt2024(loadTokenizer('llama2'));
      expect(preset).toBeInstanceOf(Chain);
      expect(preset).toBeInstanceOf(Processor);
      expect(Processor.isInstance(preset)).toBe(true);
      expect(preset.members).toBe(preset.processors);
      const [eos, uniform, diversity] = preset.processors;
      expect(eos).toBeInstanceOf(EndOfSequenceRamp);
      expect(uniform).toBeInstanceOf(TokenBias);
      expect(diversity).toBeInstanceOf(RepetitionPenalty);
      const ramp = eos as EndOfSequenceRamp;
      expect([ramp.eosTokenIds, ramp.shape, ramp.biasAt(125), ramp.biasAt(249), ramp.biasAt(250)]).toEqual([[2], 'linear', 7.5, 14.94, 0]);
      expect((uniform as TokenBias).resolved.map((r) => [r.tokens[0], r.bias])).toEqual(preset.table.filter((r) => r.rule === 'uniform').map((r) => [r.id, r.bias]));
      expect((uniform as TokenBias).skipped).toEqual([]);
      const penalty = diversity as RepetitionPenalty;
      expect([penalty.mode, penalty.penalty, penalty.additive]).toEqual(['presence', 1.5, true]);
      expect(hewitt2024(loadTokenizer('llama2'), { fidelity: 'clean' }).processors[0]).toSatisfy((p: Processor) => (p as EndOfSequenceRamp).biasAt(250) === 15);
    });

    it('checks its ids against a vocabulary: markers, then uniform ids', () => {
      const preset = hewitt2024(loadTokenizer('llama2'));
      expect(() => preset.checkVocabulary(V)).not.toThrow();
      // The largest uniform id is 28808 ("!"), listed after 28789 ("<"); the largest marker id is 28767 (">").
      expect(() => preset.checkVocabulary(28809)).not.toThrow();
      expectRuleLMError(() => preset.checkVocabulary(28808), '`biases` holds token id 28808, outside a vocabulary of 28808 ids (0 to 28807)', 'biases');
      expectRuleLMError(() => preset.checkVocabulary(28789), '`biases` holds token id 28789, outside a vocabulary of 28789 ids (0 to 28788)', 'biases');
      expectRuleLMError(() => preset.checkVocabulary(28767), '`countFrom.after` holds token id 28767, outside a vocabulary of 28767 ids (0 to 28766)', 'countFrom.after');
      expectRuleLMError(() => startSequence(preset, { prompt: [1], vocabSize: 1000 }), '`countFrom.after` holds token id 28766, outside a vocabulary of 1000 ids (0 to 999)', 'countFrom.after');
    });

    it('traces rule by rule', () => {
      const sequence = startSequence(hewitt2024(loadTokenizer('llama2')), { prompt: paperPrompt('Hi.'), vocabSize: V });
      sequence.push(THE);
      const reports: MemberChanges[] = [];
      const row = sequence.trace(new Float32Array(V), (member) => reports.push(member));
      expect(reports.map((r) => [r.processorIndex, r.kind, r.changes.length])).toEqual([
        [0, 'end-of-sequence-ramp', 1],
        [1, 'token-bias', 15],
        [2, 'repetition-penalty', 9],
      ]);
      expect(reports[0]?.changes).toEqual([{ token: EOS, delta: Math.fround(0.06) }]);
      expect(reports[2]?.changes.every((c) => c.delta === -1.5)).toBe(true);
      expect(reports[2]?.changes.map((c) => c.token)).toContain(THE);
      const processed = startSequence(hewitt2024(loadTokenizer('llama2')), { prompt: paperPrompt('Hi.'), vocabSize: V });
      processed.push(THE);
      expect(row).toEqual(processed.process(new Float32Array(V)));
    });

    it('flattens into a chain around it (which then is a plain Chain)', () => {
      const preset = hewitt2024(loadTokenizer('llama2'), { fidelity: 'clean' });
      const extra = new TokenBias({ biases: [{ token: THE, bias: 1 }] });
      const around = new Chain(preset, extra);
      expect(around.processors).toEqual([...preset.processors, extra]);
      expect(around.constructor).toBe(Chain);
    });
  });

  it('the prompt of the paper tokenizes as expected (the fixture of the next tests)', () => {
    const prompt = paperPrompt('Write a poem.');
    const v = toVocabulary(loadTokenizer('llama2'));
    expect(prompt.map((id) => v.piece(id))).toEqual(['<s>', '\u2581<', '|', 'user', '|', '>', '<0x0A>', 'Write', '\u2581a', '\u2581poem', '.', '<0x0A>', '<', '|', 'ass', 'istant', '|', '>', '<0x0A>']);
  });

  describe('the EOS rule through startSequence with the paper prompt', () => {
    const ts = [0, 1, 125, 249, 250, 1025];
    const eosAt = (fidelity: 'reference' | 'clean'): number[] => {
      const sequence = startSequence(hewitt2024(loadTokenizer('llama2'), { fidelity }), { prompt: paperPrompt('Write a poem.'), vocabSize: V, capacity: 1100 });
      const out: number[] = [];
      for (let t = 0; t <= 1025; t++) {
        if (ts.includes(t)) out.push(sequence.process(new Float32Array(V))[EOS] as number);
        sequence.push(THE);
      }
      return out;
    };

    it('reference: 0, 0.06, 7.5, 14.94, then 0 from t = 250', () => {
      expect(eosAt('reference')).toEqual([0, Math.fround(0.06), 7.5, Math.fround(14.94), 0, 0]);
    });

    it('clean: 0, 0.06, 7.5, 14.94, then 15 from t = 250', () => {
      expect(eosAt('clean')).toEqual([0, Math.fround(0.06), 7.5, Math.fround(14.94), 15, 15]);
    });
  });

  describe('the whole row at the first step', () => {
    const prompt = paperPrompt('Write a poem.');
    const afterUserTag = prompt.slice(7); // the instruction, the assistant tag and its newline

    it('reference: uniform biases, and -1.5 on every type since the user tag (instruction included)', () => {
      const expected = new Float32Array(V);
      for (const [id, bias] of uniformOnLlama2()) expected[id] = bias;
      for (const id of new Set(afterUserTag)) expected[id] = (expected[id] as number) - 1.5;
      const sequence = startSequence(hewitt2024(loadTokenizer('llama2')), { prompt, vocabSize: V });
      expect(sequence.process(new Float32Array(V))).toEqual(expected);
      // e.g. "|" is both a uniform token and seen: -4 - 1.5; "Write" only seen; "▁<" (before the tag) only uniform
      expect([expected[28766], expected[pieceId('llama2', 'Write')], expected[523], expected[1838]]).toEqual([-5.5, -1.5, -4, 0]);
    });

    it('clean: uniform biases only (nothing generated yet)', () => {
      const expected = new Float32Array(V);
      for (const [id, bias] of uniformOnLlama2()) expected[id] = bias;
      const sequence = startSequence(hewitt2024(loadTokenizer('llama2'), { fidelity: 'clean' }), { prompt, vocabSize: V });
      expect(sequence.process(new Float32Array(V))).toEqual(expected);
      sequence.push(THE);
      const next = sequence.process(new Float32Array(V));
      expect([next[THE], next[EOS], next[pieceId('llama2', 'Write')]]).toEqual([-1.5, Math.fround(0.06), 0]);
    });
  });

  describe('tags: the last occurrence counts', () => {
    const userTag = [13, ...encode('llama2', '\n<|user|>\n').slice(2)]; // <0x0A> < | user | > <0x0A>
    const assistantTag = [13, ...encode('llama2', '\n<|assistant|>\n').slice(2)];
    const WRITE = 5238;
    const PIPE = 28766;

    it('the tags as a model would generate them', () => {
      const v = toVocabulary(loadTokenizer('llama2'));
      expect(userTag.map((id) => v.piece(id))).toEqual(['<0x0A>', '<', '|', 'user', '|', '>', '<0x0A>']);
      expect(assistantTag.map((id) => v.piece(id))).toEqual(['<0x0A>', '<', '|', 'ass', 'istant', '|', '>', '<0x0A>']);
      expect(pieceId('llama2', 'Write')).toBe(WRITE);
    });

    it('a second user tag in the response resets the diversity penalty (not t)', () => {
      const sequence = startSequence(hewitt2024(loadTokenizer('llama2')), { prompt: paperPrompt('Write a poem.'), vocabSize: V });
      sequence.push(THE);
      let r = sequence.process(new Float32Array(V));
      expect([r[WRITE], r[PIPE], r[THE], r[EOS]]).toEqual([-1.5, -5.5, -1.5, Math.fround(0.06)]);
      sequence.append(userTag);
      r = sequence.process(new Float32Array(V));
      // Counts restart after the tag: "Write", "|" and "▁the" are no longer seen. t = 8.
      expect([r[WRITE], r[PIPE], r[THE], r[EOS]]).toEqual([0, -4, 0, Math.fround((15 * 8) / 250)]);
      sequence.push(THE);
      r = sequence.process(new Float32Array(V));
      expect([r[WRITE], r[THE]]).toEqual([0, -1.5]);
    });

    it('a second assistant tag in the response resets t (not the diversity penalty)', () => {
      const sequence = startSequence(hewitt2024(loadTokenizer('llama2')), { prompt: paperPrompt('Write a poem.'), vocabSize: V });
      for (let i = 0; i < 10; i++) sequence.push(THE);
      let r = sequence.process(new Float32Array(V));
      expect(r[EOS]).toBe(Math.fround(0.6));
      sequence.append(assistantTag);
      r = sequence.process(new Float32Array(V));
      expect([r[EOS], r[WRITE], r[THE]]).toEqual([0, -1.5, -1.5]);
      sequence.push(THE);
      expect(sequence.process(new Float32Array(V))[EOS]).toBe(Math.fround(0.06));
    });

    it('clean fidelity ignores the tags', () => {
      const sequence = startSequence(hewitt2024(loadTokenizer('llama2'), { fidelity: 'clean' }), { prompt: paperPrompt('Write a poem.'), vocabSize: V });
      sequence.push(THE);
      sequence.append(assistantTag);
      const r = sequence.process(new Float32Array(V));
      expect([r[EOS], r[THE], r[WRITE]]).toEqual([Math.fround((15 * 9) / 250), -1.5, 0]);
    });

    it('without tags in the prompt, t counts from the response start and diversity from the sequence start', () => {
      const prompt = loadTokenizer('llama2').encode('Write a poem.');
      const v = toVocabulary(loadTokenizer('llama2'));
      expect(prompt.map((id) => v.piece(id))).toEqual(['<s>', '\u2581Write', '\u2581a', '\u2581poem', '.']);
      const sequence = startSequence(hewitt2024(loadTokenizer('llama2')), { prompt, vocabSize: V });
      sequence.push(THE);
      const r = sequence.process(new Float32Array(V));
      // BOS (1) and "▁Write" are seen: the whole sequence counts
      expect([r[EOS], r[prompt[1] as number], r[1], r[THE], r[WRITE]]).toEqual([Math.fround(0.06), -1.5, -1.5, -1.5, 0]);
    });
  });

  describe('rule switches', () => {
    it('"eos-uniform" and { diversity: false } drop the diversity rule', () => {
      for (const rules of ['eos-uniform', 'uniform-eos', { diversity: false }] as const) {
        const preset = hewitt2024(loadTokenizer('llama2'), { rules });
        expect(preset.rules).toEqual(['eos', 'uniform']);
        expect(preset.processors.map((p) => p.kind)).toEqual(['end-of-sequence-ramp', 'token-bias']);
        expect(preset.markers).toEqual({ user: [], assistant: [28766, 489, 11143, 28766, 28767, 13] });
        const r = startSequence(preset, { prompt: paperPrompt('Write a poem.'), vocabSize: V }).process(new Float32Array(V));
        expect([r[5238], r[28766]]).toEqual([0, -4]);
      }
    });

    it('each rule alone, and all four', () => {
      const kinds = (rules: Parameters<typeof hewitt2024>[1]): string[] => hewitt2024(loadTokenizer('llama2'), rules).processors.map((p) => p.kind);
      expect(kinds({ rules: 'eos' })).toEqual(['end-of-sequence-ramp']);
      expect(kinds({ rules: 'uniform' })).toEqual(['token-bias']);
      expect(kinds({ rules: 'diversity' })).toEqual(['repetition-penalty']);
      expect(kinds({ rules: 'start' })).toEqual(['position-bias']);
      expect(kinds({ rules: { eos: false, uniform: false } })).toEqual(['repetition-penalty']);
      expect(kinds({ rules: 'start-diversity-uniform-eos' })).toEqual(['end-of-sequence-ramp', 'token-bias', 'repetition-penalty', 'position-bias']);
      expect(kinds({ rules: { start: true } })).toEqual(['end-of-sequence-ramp', 'token-bias', 'repetition-penalty', 'position-bias']);
      expect(hewitt2024(loadTokenizer('llama2'), { rules: 'uniform' }).markers).toEqual({ user: [], assistant: [] });
    });
  });

  describe('the start rule', () => {
    const prompt = paperPrompt('Write a poem.');
    const sparse = (entries: readonly (readonly [number, number])[]): Float32Array => {
      const r = new Float32Array(V);
      for (const [id, bias] of entries) r[id] = bias;
      return r;
    };

    it('t = 0: 5 * score(piece) for every token; t = 1: "!" += 15; t = 2: newline += -10; then nothing', () => {
      const preset = hewitt2024(loadTokenizer('llama2'), { rules: 'start' });
      const sequence = startSequence(preset, { prompt, vocabSize: V });
      const t0 = sequence.process(new Float32Array(V));
      const at = (piece: string): number => t0[pieceId('llama2', piece)] as number;
      expect(at('Okay')).toBe(50);
      expect(at('\u2581Okay')).toBe(50);
      expect(at('\u2581I')).toBe(-15);
      expect(at('I')).toBe(-15);
      expect(at('\u2581the')).toBe(5);
      expect(at('The')).toBe(5);
      expect(at('<0x0A>')).toBe(-5); // the piece starts with "<", punctuation
      expect(at('!')).toBe(-5);
      expect(at('\u2581')).toBe(0);
      expect(at('1')).toBe(0);
      sequence.push(THE);
      expect(sequence.process(new Float32Array(V))).toEqual(sparse([[28808, 15]]));
      sequence.push(THE);
      expect(sequence.process(new Float32Array(V))).toEqual(sparse([[13, -10]]));
      sequence.push(THE);
      expect(sequence.process(new Float32Array(V))).toEqual(new Float32Array(V));
    });

    it('lists its rows in the table', () => {
      const preset = hewitt2024(loadTokenizer('llama2'), { rules: 'start' });
      expect(preset.table).toEqual([
        { rule: 'start', id: -1, piece: 'every token', bias: 5, when: 't = 0: 5 * score(piece)' },
        { rule: 'start', id: 28808, piece: '!', bias: 15, when: 't = 1' },
        { rule: 'start', id: 13, piece: '<0x0A>', bias: -10, when: 't = 2' },
      ]);
    });

    it('restarts after a second assistant tag (reference), not in clean mode', () => {
      const assistantTag = [13, ...encode('llama2', '\n<|assistant|>\n').slice(2)];
      const reference = startSequence(hewitt2024(loadTokenizer('llama2'), { rules: 'start' }), { prompt, vocabSize: V });
      const clean = startSequence(hewitt2024(loadTokenizer('llama2'), { rules: 'start', fidelity: 'clean' }), { prompt, vocabSize: V });
      for (const s of [reference, clean]) {
        s.push(THE);
        s.append(assistantTag);
        s.push(THE);
      }
      expect(reference.process(new Float32Array(V))).toEqual(sparse([[28808, 15]]));
      expect(clean.process(new Float32Array(V))).toEqual(new Float32Array(V));
    });
  });

  describe('EOS ids', () => {
    it('default to the tokenizer\'s, and can be overridden', () => {
      const preset = hewitt2024(loadTokenizer('llama2'), { eosTokenIds: [2, 7], rules: 'eos', fidelity: 'clean' });
      expect(preset.table.map((r) => [r.id, r.piece])).toEqual([[2, '</s>'], [7, '<0x04>']]);
      const sequence = startSequence(preset, { prompt: [1], vocabSize: V });
      sequence.push(THE);
      const r = sequence.process(new Float32Array(V));
      expect([r[2], r[7], r[THE]]).toEqual([Math.fround(0.06), Math.fround(0.06), 0]);
      const single = hewitt2024(loadTokenizer('llama2'), { eosTokenIds: 9, rules: 'eos' });
      expect(single.table.map((r) => r.id)).toEqual([9]);
    });

    it('are required when the eos rule is on', () => {
      const noEos = createVocabulary({ pieces: ['a', 'b'] });
      expectRuleLMError(() => hewitt2024(noEos, { fidelity: 'clean', rules: 'eos' }), '`eosTokenIds` is needed: the tokenizer declares no end-of-sequence id', 'eosTokenIds');
      expect(() => hewitt2024(noEos, { fidelity: 'clean', rules: 'diversity' })).not.toThrow();
      expectRuleLMError(() => hewitt2024(noEos, { rules: 'eos', fidelity: 'clean', eosTokenIds: [] }), '`eosTokenIds` must be a non-empty array of token ids, but is []', 'eosTokenIds');
      expectRuleLMError(() => hewitt2024(noEos, { rules: 'eos', fidelity: 'clean', eosTokenIds: -1 }), '`eosTokenIds` must be a token id (an integer of at least 0), but is -1', 'eosTokenIds');
    });
  });

  describe('markers', () => {
    it('accept tag text or token ids', () => {
      const byText = hewitt2024(loadTokenizer('llama2'), { markers: { user: '<|user|>', assistant: '[/INST]' } });
      expect(byText.markers?.user).toEqual([28766, 1838, 28766, 28767, 13]);
      expect(byText.markers?.assistant).toEqual(encode('llama2', '\n[/INST]\n').slice(3));
      const byIds = hewitt2024(loadTokenizer('llama2'), { markers: { user: [5, 6], assistant: [7] } });
      expect(byIds.markers).toEqual({ user: [5, 6], assistant: [7] });
      const sequence = startSequence(byIds, { prompt: [1, 9, 7], vocabSize: V });
      sequence.push(THE);
      const r = sequence.process(new Float32Array(V));
      expect([r[EOS], r[9], r[THE]]).toEqual([Math.fround(0.06), -1.5, -1.5]);
    });

    it('reject unknown names, bad ids and text the vocabulary cannot encode', () => {
      expectRuleLMError(
        () => hewitt2024(loadTokenizer('llama2'), { markers: { system: 'x' } as never }),
        '`markers` has an unknown option "system"; known options are `user`, `assistant`',
        'markers.system',
      );
      expectRuleLMError(() => hewitt2024(loadTokenizer('llama2'), { markers: { user: [] } }), '`markers.user` must be a non-empty array of token ids, but is []', 'markers.user');
      expectRuleLMError(() => hewitt2024(loadTokenizer('llama2'), { markers: { assistant: 'x' } }), '`markers.assistant` must be a tag of at least 2 characters or an array of token ids, but is "x"', 'markers.assistant');
      const noEncoder = createVocabulary({ pieces: ['<unk>', '<s>', '</s>', '\u2581a'], eosTokenIds: 2 });
      expectRuleLMError(() => hewitt2024(noEncoder), "`markers.user` is text, but the vocabulary has no encoder; pass the marker's token ids instead", 'markers.user');
      expect(() => hewitt2024(noEncoder, { markers: { user: [3], assistant: [3] }, rules: 'eos-diversity' })).not.toThrow();
    });
  });

  describe('option errors', () => {
    it('rejects bad rules, fidelity and unknown options', () => {
      const tok = loadTokenizer('llama2');
      expectRuleLMError(
        () => hewitt2024(tok, { rules: 'eos-uniform-diversty' }),
        '`rules` must be rule names joined by "-" (such as "eos-uniform-diversity"; names: "eos", "uniform", "diversity", "start"), but is "eos-uniform-diversty"',
        'rules',
      );
      expectRuleLMError(
        () => hewitt2024(tok, { rules: 'eos,uniform' }),
        '`rules` must be rule names joined by "-" (such as "eos-uniform-diversity"; names: "eos", "uniform", "diversity", "start"), but is "eos,uniform"',
        'rules',
      );
      expectRuleLMError(() => hewitt2024(tok, { rules: { eos: true, typo: true } as never }), '`rules` has an unknown option "typo"; known options are `eos`, `uniform`, `diversity`, `start`', 'rules.typo');
      expectRuleLMError(() => hewitt2024(tok, { rules: { eos: 1 } as never }), '`rules.eos` must be a boolean, but is 1', 'rules.eos');
      expectRuleLMError(() => hewitt2024(tok, { rules: 5 as never }), '`rules` must be an object, but is 5', 'rules');
      expectRuleLMError(() => hewitt2024(tok, { fidelity: 'strict' as never }), '`fidelity` must be one of "reference", "clean", but is "strict"', 'fidelity');
      expectRuleLMError(
        // @ts-expect-error: a misspelled option
        () => hewitt2024(tok, { fidelty: 'clean' }),
        '`options` has an unknown option "fidelty"; known options are `rules`, `fidelity`, `eosTokenIds`, `markers`',
        'options.fidelty',
      );
      expectRuleLMError(() => hewitt2024(5 as never), '`tokenizer` must be a transformers.js tokenizer or a rulelm vocabulary, but is 5', 'tokenizer');
    });
  });
});

describe('hewitt2024 on other real tokenizers: the same words', () => {
  const expectedWords = (): string[] => HEWITT2024.uniform.map((u) => JSON.stringify([spelling(u.piece), u.bias])).sort();

  for (const name of ['qwen3', 'llama3', 'gemma3'] as const) {
    it(`${name}: resolves one token per reference word, the same (spelling, bias) multiset`, () => {
      const tokenizer = loadTokenizer(name);
      const v = toVocabulary(tokenizer);
      const preset = hewitt2024(tokenizer, { rules: 'uniform' });
      const rows = preset.table.filter((r) => r.rule === 'uniform');
      expect(rows.map((r) => JSON.stringify([v.surface(r.id), r.bias])).sort()).toEqual(expectedWords());
      expect(new Set(rows.map((r) => r.id)).size).toBe(15);
      expect(preset.skipped).toEqual([]);
      // Display pieces use ▁ for a space on every vocabulary.
      expect(rows.find((r) => v.surface(r.id) === ' I')?.piece).toBe('\u2581I');
      // The row the preset adds equals its table.
      const r = startSequence(preset, { prompt: [], vocabSize: v.size }).process(new Float32Array(v.size));
      const expected = new Float32Array(v.size);
      for (const row of rows) expected[row.id] = row.bias;
      expect(r).toEqual(expected);
    });
  }

  it('qwen3 (byte-level): markers and the start rule read surfaces', () => {
    const tokenizer = loadTokenizer('qwen3');
    const preset = hewitt2024(tokenizer, { rules: 'eos-diversity-start' });
    expect(preset.markers).toEqual({ user: [91, 872, 91, 397], assistant: [91, 77091, 91, 397] });
    const r = startSequence(preset, { prompt: tokenizer.encode('<|user|>\nHi\n<|assistant|>\n'), vocabSize: toVocabulary(tokenizer).size }).process(
      new Float32Array(toVocabulary(tokenizer).size),
    );
    expect(r[pieceId('qwen3', '\u0120I')]).toBe(-15);
    expect(r[pieceId('qwen3', 'Okay')]).toBe(50);
    expect(r[pieceId('qwen3', '\u0120the')]).toBe(5);
    expect(r[pieceId('qwen3', 'Hi')]).toBe(5 - 1.5); // a letter, and seen in the instruction
  });

  it('qwen3 with a model row wider than the tokenizer (151936 vs 151669): padding ids get nothing', () => {
    const tokenizer = loadTokenizer('qwen3');
    const preset = hewitt2024(tokenizer, { rules: 'eos-uniform-diversity-start' });
    const r = startSequence(preset, { prompt: tokenizer.encode('<|user|>\nHi\n<|assistant|>\n'), vocabSize: 151936 }).process(new Float32Array(151936));
    expect(r[pieceId('qwen3', 'Okay')]).toBe(50);
    expect(Array.from(r.subarray(toVocabulary(tokenizer).size)).every((x) => x === 0)).toBe(true);
  });
});

describe('hewitt2024 on a hand-made Llama-2-like vocabulary', () => {
  /** 32000 pieces: specials 0-2, byte pieces 3-258 (as Llama 2), the reference pieces at the reference ids, unique dummies elsewhere. */
  function llama2Like(): Vocabulary {
    const pieces: string[] = Array.from({ length: V }, (_, id) => `dummy${id}`);
    pieces[0] = '<unk>';
    pieces[1] = '<s>';
    pieces[2] = '</s>';
    for (let b = 0; b < 256; b++) pieces[3 + b] = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
    for (const t of (reference as NonNullable<typeof reference>).rules.uniform.token_biases) pieces[t.id] = t.piece;
    return createVocabulary({ pieces, eosTokenIds: 2, specialTokenIds: [0, 1, 2] });
  }

  it.skipIf(reference === undefined)('resolves exactly the reference ids, pieces and biases', () => {
    const v = llama2Like();
    expect(v.kind).toBe('sentencepiece');
    expect(v.piece(13)).toBe('<0x0A>');
    expect(v.piece(63)).toBe('<0x3C>'); // a byte piece that also spells "<": not chosen
    const preset = hewitt2024(v, { rules: 'uniform' });
    expect(preset.table.map(({ id, piece, bias }) => ({ id, piece, bias }))).toEqual((reference as NonNullable<typeof reference>).rules.uniform.token_biases);
    expect(preset.skipped).toEqual([]);
  });

  it.skipIf(reference === undefined)('adds exactly the reference biases at the reference ids (clean fidelity, first step)', () => {
    const preset = hewitt2024(llama2Like(), { fidelity: 'clean' });
    const r = startSequence(preset, { prompt: [1, 529, 29989], vocabSize: V }).process(new Float32Array(V));
    const expected = new Float32Array(V);
    for (const t of (reference as NonNullable<typeof reference>).rules.uniform.token_biases) expected[t.id] = t.bias;
    expect(r).toEqual(expected);
  });

  it.skipIf(reference === undefined)('skips words a vocabulary cannot spell in one token, and lists them', () => {
    const v = llama2Like();
    const pieces = Array.from({ length: V }, (_, id) => v.piece(id) as string);
    pieces[5618] = 'dummyWhat';
    pieces[444] = 'dummy##';
    const preset = hewitt2024(createVocabulary({ pieces, eosTokenIds: 2, specialTokenIds: [0, 1, 2] }), { rules: 'uniform' });
    expect(preset.skipped).toEqual(['What', '\u2581##']);
    expect(preset.table.map((r) => r.id)).toEqual([29966, 529, 29989, 306, 29902, 1334, 881, 334, 448, 1678, 396, 13, 29991]);
  });
});
