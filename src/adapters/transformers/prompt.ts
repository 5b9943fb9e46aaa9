import type { TokenizerLike } from '../../core/vocabulary';
import { RuleLMError } from '../../core/errors';
import { resolveMarker } from '../../core/resolve';
import { toVocabulary } from '../../core/vocabulary';
import { assertOneOf, assertOptions, fail } from '../../core/validate';
import { HEWITT2024 } from '../../presets/hewitt2024-constants';

/** A tokenizer that may carry a chat template (transformers.js `PreTrainedTokenizer`). */
export interface ChatTokenizerLike extends TokenizerLike {
  readonly chat_template?: string | null | undefined;
  apply_chat_template?(
    conversation: { role: string; content: string }[],
    options: { tokenize: boolean; add_generation_prompt: boolean; return_tensor?: boolean; return_dict?: boolean },
  ): unknown;
}

/** Options of {@link formatPrompt}. */
export interface FormatPromptOptions {
  /**
   * `"auto"` (default): the tokenizer's chat template when it has one, else the paper's.
   * `"paper"`: always the paper's `<|user|>\n{instruction}\n<|assistant|>\n`.
   * `"chat"`: always the tokenizer's chat template (an error when it has none).
   */
  readonly template?: 'auto' | 'paper' | 'chat';
}

/** A formatted prompt, its token ids, and the markers the preset should count from. */
export interface FormattedPrompt {
  /** The prompt text. Tokenize it with `tokenizer(text, { add_special_tokens: addSpecialTokens })`, or use `ids`. */
  readonly text: string;
  /**
   * The prompt's token ids, exactly those the tokenizer's own chat templating gives
   * (`apply_chat_template(messages, { tokenize: true, add_generation_prompt: true })`), or for
   * the paper's template `tokenizer.encode(text)` (BOS added as the tokenizer does).
   */
  readonly ids: readonly number[];
  /**
   * What to pass as `add_special_tokens` when tokenizing `text` (alone or in a batch) to get
   * `ids`: `false` for a chat template (which writes BOS itself when the model wants one, as
   * Gemma's and Llama 3's do; adding another gives `<bos><bos>`), `true` for the paper's.
   */
  readonly addSpecialTokens: boolean;
  /** Which template was used. */
  readonly template: 'paper' | 'chat';
  /**
   * Token ids that open a user turn (ending where the user's text starts) and open the
   * assistant's response (ending where the response starts), as they appear in `ids`. Each
   * identifies its own turn: the user marker never matches at the assistant's header.
   */
  readonly markers: { readonly user: readonly number[]; readonly assistant: readonly number[] };
}

const SENTINEL = 'RULELM_SENTINEL_7f3a';

// Contents rendered to find what of a template does not depend on the message: they start and
// end with different kinds of characters, so that a token the template shares with the message
// (a newline merged with the first word, say) is left out of the markers.
const PROBES = ['Hello there', '1 + 1', '(x)', '\u4f60\u597d', '\u00e9!', 'a\nb', SENTINEL];

function hasChatTemplate(tokenizer: ChatTokenizerLike): boolean {
  return typeof tokenizer.apply_chat_template === 'function' && typeof tokenizer.chat_template === 'string' && tokenizer.chat_template.length > 0;
}

type Message = { role: string; content: string };

function renderChat(tokenizer: ChatTokenizerLike, messages: Message[]): string {
  const text = tokenizer.apply_chat_template?.(messages, { tokenize: false, add_generation_prompt: true });
  if (typeof text !== 'string') throw new RuleLMError('the tokenizer\'s chat template did not render to text', { argument: 'tokenizer' });
  return text;
}

function chatIds(tokenizer: ChatTokenizerLike, messages: Message[]): number[] {
  const ids = tokenizer.apply_chat_template?.(messages, { tokenize: true, add_generation_prompt: true, return_tensor: false, return_dict: false });
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'number')) {
    throw new RuleLMError('the tokenizer\'s chat template did not tokenize to an array of ids', { argument: 'tokenizer' });
  }
  return ids as number[];
}

function occurrences(ids: readonly number[], marker: readonly number[]): number[] {
  const ends: number[] = [];
  for (let end = marker.length; end <= ids.length; end++) {
    let match = true;
    for (let i = 0; i < marker.length && match; i++) match = ids[end - marker.length + i] === marker[i];
    if (match) ends.push(end);
  }
  return ends;
}

// Renders [user, assistant, user] when the template allows it, to check that the user marker
// matches at user turns only; undefined for templates that refuse the conversation.
function multiTurnIds(tokenizer: ChatTokenizerLike): number[] | undefined {
  try {
    return chatIds(tokenizer, [
      { role: 'user', content: 'Hello there' },
      { role: 'assistant', content: 'Hi' },
      { role: 'user', content: '1 + 1' },
    ]);
  } catch {
    return undefined;
  }
}

// The markers of the tokenizer's chat template. The tokens every probe shares before its text
// are the user turn's opening, the tokens every probe shares after it the end of the turn and the
// assistant's header (the assistant marker). The user marker is the shortest tail of the opening
// that occurs nowhere else (not in the assistant's header: Llama 3 closes both headers with
// `<|end_header_id|>` and a blank line, so it must include the role), extended back to the
// special token that starts it.
function chatMarkers(tokenizer: ChatTokenizerLike): { user: number[]; assistant: number[] } {
  if (!renderChat(tokenizer, [{ role: 'user', content: SENTINEL }]).includes(SENTINEL)) {
    throw new RuleLMError('the tokenizer\'s chat template drops the message text; use `template: "paper"`', { argument: 'template' });
  }
  const probes = PROBES.map((content) => chatIds(tokenizer, [{ role: 'user', content }]));
  const shortest = Math.min(...probes.map((p) => p.length));
  const first = probes[0] as number[];
  let prefix = 0;
  while (prefix < shortest && probes.every((p) => p[prefix] === first[prefix])) prefix++;
  let suffix = 0;
  while (suffix < shortest - prefix && probes.every((p) => p[p.length - 1 - suffix] === first[first.length - 1 - suffix])) suffix++;
  const opening = first.slice(0, prefix);
  const assistant = first.slice(first.length - suffix);
  const noMarkers = (): never => {
    throw new RuleLMError('the tokenizer\'s chat template has no turn markers around the message; use `template: "paper"` or pass `markers`', { argument: 'template' });
  };
  if (opening.length === 0 || assistant.length === 0) noMarkers();
  const multi = multiTurnIds(tokenizer);
  const special = new Set(tokenizer.all_special_ids ?? []);
  for (let start = opening.length - 1; start >= 0; start--) {
    const candidate = opening.slice(start);
    if (occurrences(first, candidate).length !== 1 || occurrences(assistant, candidate).length > 0) continue;
    if (multi !== undefined && occurrences(multi, candidate).length !== 2) continue;
    let from = start;
    while (from > 0 && !special.has(opening[from] as number)) from--;
    const user = special.has(opening[from] as number) ? opening.slice(from) : candidate;
    return { user, assistant };
  }
  return noMarkers();
}

// The markers of each tokenizer's chat template, found once (they take about nine renders) and
// kept with the template they were found for: a tokenizer whose chat_template is replaced gets
// them found again.
const MARKERS = new WeakMap<object, { readonly template: string; readonly user: number[]; readonly assistant: number[] }>();

function cachedChatMarkers(tokenizer: ChatTokenizerLike): { user: number[]; assistant: number[] } {
  const template = tokenizer.chat_template as string;
  let entry = MARKERS.get(tokenizer);
  if (entry?.template !== template) {
    entry = { template, ...chatMarkers(tokenizer) };
    MARKERS.set(tokenizer, entry);
  }
  // Copies: the caller may change its arrays.
  return { user: [...entry.user], assistant: [...entry.assistant] };
}

/**
 * Formats an instruction as a single-turn prompt for a base model: its text, its token ids
 * (exactly what the tokenizer's own chat templating gives, one BOS at most), and the markers the
 * paper's preset counts from (pass them as `hewitt2024(tokenizer, { markers })`, or use
 * `hewitt2024ForModel`, which does it).
 *
 * Tokenize the text with `tokenizer(text, { add_special_tokens: addSpecialTokens })` (a batch:
 * `tokenizer(texts, { padding: true, add_special_tokens: addSpecialTokens })`): a chat template
 * writes BOS itself where the model wants one, so `tokenizer(text)` alone would give Gemma
 * `<bos><bos>`.
 *
 * A chat template's markers are found once per tokenizer (rendering the template about nine
 * times), and found again only when its `chat_template` changes.
 *
 * @param tokenizer A transformers.js tokenizer.
 * @param instruction The user's instruction (not stripped, as in the paper).
 * @param options Which template.
 * @returns The prompt text and ids, how to tokenize it, the template used and its markers.
 * @throws {RuleLMError} On a bad option, `template: "chat"` with a tokenizer without one, or a
 * chat template without turn markers.
 * @example
 * ```ts
 * const { text, addSpecialTokens } = formatPrompt(tokenizer, 'Name three colors.'); // "<|user|>\nName three colors.\n<|assistant|>\n", true
 * const inputs = tokenizer(text, { add_special_tokens: addSpecialTokens });
 * ```
 */
export function formatPrompt(tokenizer: ChatTokenizerLike, instruction: string, options: FormatPromptOptions = {}): FormattedPrompt {
  if ((typeof tokenizer !== 'object' && typeof tokenizer !== 'function') || tokenizer === null || typeof tokenizer.encode !== 'function') {
    fail('tokenizer', 'a transformers.js tokenizer (an object with encode and get_vocab)', tokenizer);
  }
  assertOptions('options', options, ['template']);
  const { template = 'auto' } = options;
  assertOneOf('template', template, ['auto', 'paper', 'chat'] as const);
  if (typeof instruction !== 'string') fail('instruction', 'a string', instruction);
  const chat = template === 'chat' || (template === 'auto' && hasChatTemplate(tokenizer));
  if (chat) {
    if (!hasChatTemplate(tokenizer)) throw new RuleLMError('`template` is "chat", but the tokenizer has no chat template', { argument: 'template' });
    const messages = [{ role: 'user', content: instruction }];
    return { text: renderChat(tokenizer, messages), ids: chatIds(tokenizer, messages), addSpecialTokens: false, template: 'chat', markers: cachedChatMarkers(tokenizer) };
  }
  const vocabulary = toVocabulary(tokenizer);
  const text = HEWITT2024.promptTemplate.replace('{instruction}', () => instruction); // a function: `$` in the instruction stays literal
  return {
    text,
    ids: tokenizer.encode(text),
    addSpecialTokens: true,
    template: 'paper',
    markers: { user: resolveMarker(vocabulary, HEWITT2024.userTag, 'markers.user'), assistant: resolveMarker(vocabulary, HEWITT2024.assistantTag, 'markers.assistant') },
  };
}
