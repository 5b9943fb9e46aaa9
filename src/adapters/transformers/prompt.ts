import type { TokenizerLike } from '../../core/vocabulary';
import { RuleLMError } from '../../core/errors';
import { resolveMarker } from '../../core/resolve';
import { toVocabulary } from '../../core/vocabulary';
import { assertOneOf, assertOptions, fail } from '../../core/validate';
import { HEWITT2024 } from '../../presets/hewitt2024-constants';

/** A tokenizer that may carry a chat template (transformers.js `PreTrainedTokenizer`). */
export interface ChatTokenizerLike extends TokenizerLike {
  readonly chat_template?: string | null | undefined;
  apply_chat_template?(conversation: { role: string; content: string }[], options: { tokenize: false; add_generation_prompt: boolean }): unknown;
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

/** A formatted prompt and the markers the preset should count from. */
export interface FormattedPrompt {
  /** The prompt text to tokenize (the tokenizer adds BOS as usual). */
  readonly text: string;
  /** Which template was used. */
  readonly template: 'paper' | 'chat';
  /** Token ids that open a user turn and open the assistant's response, as they appear in the tokenized prompt. */
  readonly markers: { readonly user: readonly number[]; readonly assistant: readonly number[] };
}

const SENTINEL = 'RULELM_SENTINEL_7f3a';

function hasChatTemplate(tokenizer: ChatTokenizerLike): boolean {
  return typeof tokenizer.apply_chat_template === 'function' && typeof tokenizer.chat_template === 'string' && tokenizer.chat_template.length > 0;
}

function renderChat(tokenizer: ChatTokenizerLike, instruction: string): string {
  const text = tokenizer.apply_chat_template?.([{ role: 'user', content: instruction }], { tokenize: false, add_generation_prompt: true });
  if (typeof text !== 'string') throw new RuleLMError('the tokenizer\'s chat template did not render to text', { argument: 'tokenizer' });
  return text;
}

// The markers of the tokenizer's chat template: the tokens that open a user turn (from the last
// special token before the user's text) and everything between the user's text and the
// response (end of turn and the assistant's header), found by rendering a sentinel message.
function chatMarkers(tokenizer: ChatTokenizerLike): { user: number[]; assistant: number[] } {
  const rendered = renderChat(tokenizer, SENTINEL);
  const at = rendered.indexOf(SENTINEL);
  if (at < 0) throw new RuleLMError('the tokenizer\'s chat template drops the message text; use `template: "paper"`', { argument: 'template' });
  const encode = (text: string): number[] => tokenizer.encode(text, { add_special_tokens: false });
  const before = encode(rendered.slice(0, at));
  const after = encode(rendered.slice(at + SENTINEL.length));
  const special = new Set(tokenizer.all_special_ids ?? []);
  let start = before.length - 1;
  while (start > 0 && !special.has(before[start] as number)) start--;
  const user = before.slice(Math.max(0, start));
  if (user.length === 0 || after.length === 0) throw new RuleLMError('the tokenizer\'s chat template has no turn markers around the message; use `template: "paper"`', { argument: 'template' });
  return { user, assistant: after };
}

/**
 * Formats an instruction as a single-turn prompt for a base model, and returns the markers the
 * paper's preset counts from (pass them as `hewitt2024(tokenizer, { markers })`, or use
 * `hewitt2024ForModel`, which does it).
 *
 * @param tokenizer A transformers.js tokenizer.
 * @param instruction The user's instruction (not stripped, as in the paper).
 * @param options Which template.
 * @returns The prompt text, the template used and its markers.
 * @throws {RuleLMError} On a bad option, or `template: "chat"` with a tokenizer without one.
 * @example
 * ```ts
 * const { text } = formatPrompt(tokenizer, 'Name three colors.'); // "<|user|>\nName three colors.\n<|assistant|>\n"
 * ```
 */
export function formatPrompt(tokenizer: ChatTokenizerLike, instruction: string, options: FormatPromptOptions = {}): FormattedPrompt {
  assertOptions('options', options, ['template']);
  const { template = 'auto' } = options;
  assertOneOf('template', template, ['auto', 'paper', 'chat'] as const);
  if (typeof instruction !== 'string') fail('instruction', 'a string', instruction);
  const chat = template === 'chat' || (template === 'auto' && hasChatTemplate(tokenizer));
  if (chat) {
    if (!hasChatTemplate(tokenizer)) throw new RuleLMError('`template` is "chat", but the tokenizer has no chat template', { argument: 'template' });
    return { text: renderChat(tokenizer, instruction), template: 'chat', markers: chatMarkers(tokenizer) };
  }
  const vocabulary = toVocabulary(tokenizer);
  return {
    text: HEWITT2024.promptTemplate.replace('{instruction}', () => instruction), // a function: `$` in the instruction stays literal
    template: 'paper',
    markers: { user: resolveMarker(vocabulary, HEWITT2024.userTag, 'markers.user'), assistant: resolveMarker(vocabulary, HEWITT2024.assistantTag, 'markers.assistant') },
  };
}
