// Language detection for IFEval's language checks. The official checker uses the Python
// `langdetect` package (ISO 639-1 codes, 55 languages); this uses `franc-min` (trigram
// profiles of 82 languages, ISO 639-3 codes), restricted to the languages both know. Browser-safe.

import { franc } from 'franc-min';

/** franc-min's ISO 639-3 codes and the ISO 639-1 code `langdetect` reports for the same language. */
export const FRANC_TO_LANGDETECT: Readonly<Record<string, string>> = {
  arb: 'ar', ben: 'bn', bul: 'bg', ces: 'cs', cmn: 'zh-cn', deu: 'de', ell: 'el', eng: 'en', fra: 'fr', guj: 'gu', hin: 'hi',
  hrv: 'hr', hun: 'hu', ind: 'id', ita: 'it', jpn: 'ja', kan: 'kn', kor: 'ko', mal: 'ml', mar: 'mr', nld: 'nl', npi: 'ne',
  pan: 'pa', pes: 'fa', pol: 'pl', por: 'pt', ron: 'ro', rus: 'ru', som: 'so', spa: 'es', swe: 'sv', swh: 'sw', tam: 'ta',
  tel: 'te', tgl: 'tl', tha: 'th', tur: 'tr', ukr: 'uk', urd: 'ur', vie: 'vi',
};

const ONLY = Object.keys(FRANC_TO_LANGDETECT);

/** `langdetect` languages that franc-min cannot recognise (a response in one of them is never detected as such); Hebrew is recognised by its script. */
export const UNSUPPORTED_LANGUAGES: readonly string[] = [
  'af', 'ca', 'cy', 'da', 'et', 'fi', 'lt', 'lv', 'mk', 'no', 'sk', 'sl', 'sq', 'zh-tw',
];

const LETTER = /\p{L}/u;
const HEBREW = /\p{Script=Hebrew}/gu;
const LETTERS = /\p{L}/gu;

/**
 * Detects the language of a text, as an ISO 639-1 code like `langdetect` reports. Text mostly in
 * Hebrew script is `"he"` (franc-min has no Hebrew profile; the script decides); text whose
 * letters franc-min cannot place is `"und"`.
 *
 * @param text The text.
 * @returns The code (`"en"`, `"hi"`, ..., `"und"`), or `undefined` when the text has no letters
 * (where `langdetect` raises its "no features in text" error).
 */
export function detectLanguage(text: string): string | undefined {
  if (!LETTER.test(text)) return undefined;
  const code = franc(text, { minLength: 1, only: ONLY });
  if (code !== 'und') return FRANC_TO_LANGDETECT[code] ?? 'und';
  const letters = text.match(LETTERS)?.length ?? 0;
  const hebrew = text.match(HEBREW)?.length ?? 0;
  return hebrew * 2 > letters ? 'he' : 'und';
}
