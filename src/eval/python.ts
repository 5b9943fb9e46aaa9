// Python string and regular-expression semantics, for the IFEval checks: the official checker
// is Python, and small differences (what `strip()` removes, what `\w`, `.` and `$` match) change
// decisions. Browser-safe.

/** Characters Python's `str.isspace()` accepts (and `str.strip()` / `str.split()` remove). */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** A character class body (no brackets) for Python's `\s` in a `str` pattern. */
export const PY_S: string = PY_SPACE;

/** A character class body (no brackets) for Python's `\w` in a `str` pattern: letters, numbers, underscore. */
export const PY_W: string = '\\p{L}\\p{N}_';

/** Python's `\b` in a `str` pattern (Unicode word boundary), for a regular expression with the `u` flag. */
export const PY_B: string = `(?:(?<=[${PY_W}])(?![${PY_W}])|(?<![${PY_W}])(?=[${PY_W}]))`;

const LEADING_SPACE = new RegExp(`^[${PY_SPACE}]+`, 'u');
const TRAILING_SPACE = new RegExp(`[${PY_SPACE}]+$`, 'u');
const SPACE_RUNS = new RegExp(`[${PY_SPACE}]+`, 'u');

/**
 * Python's `str.strip()`: removes leading and trailing whitespace (Python's definition), or the
 * given characters.
 *
 * @param text The string.
 * @param chars Characters to remove instead of whitespace.
 * @returns The stripped string.
 */
export function pyStrip(text: string, chars?: string): string {
  return pyRstrip(pyLstrip(text, chars), chars);
}

/**
 * Python's `str.lstrip()`.
 *
 * @param text The string.
 * @param chars Characters to remove instead of whitespace.
 * @returns The string without its leading whitespace (or `chars`).
 */
export function pyLstrip(text: string, chars?: string): string {
  if (chars === undefined) return text.replace(LEADING_SPACE, '');
  const set = new Set(chars);
  let i = 0;
  while (i < text.length && set.has(text[i] as string)) i++;
  return text.slice(i);
}

/**
 * Python's `str.rstrip()`.
 *
 * @param text The string.
 * @param chars Characters to remove instead of whitespace.
 * @returns The string without its trailing whitespace (or `chars`).
 */
export function pyRstrip(text: string, chars?: string): string {
  if (chars === undefined) return text.replace(TRAILING_SPACE, '');
  const set = new Set(chars);
  let i = text.length;
  while (i > 0 && set.has(text[i - 1] as string)) i--;
  return text.slice(0, i);
}

/**
 * Python's `str.split()` without arguments: splits on runs of whitespace, dropping empty parts.
 *
 * @param text The string.
 * @returns The parts.
 */
export function pySplit(text: string): string[] {
  return text.split(SPACE_RUNS).filter((part) => part.length > 0);
}

const LOWER = /\p{Lowercase}/u;
const UPPER = /\p{Uppercase}/u;
const TITLE = /\p{Lt}/u;

/**
 * Python's `str.isupper()`: at least one cased character, and no lowercase or titlecase one.
 *
 * @param text The string.
 * @returns Whether it is upper case.
 */
export function pyIsUpper(text: string): boolean {
  return UPPER.test(text) && !LOWER.test(text) && !TITLE.test(text);
}

/**
 * Python's `str.islower()`: at least one cased character, and no uppercase or titlecase one.
 *
 * @param text The string.
 * @returns Whether it is lower case.
 */
export function pyIsLower(text: string): boolean {
  return LOWER.test(text) && !UPPER.test(text) && !TITLE.test(text);
}

/**
 * Compiles a pattern written for Python's `re` (as IFEval's keyword arguments are) as a
 * JavaScript regular expression with Unicode semantics where both syntaxes agree, falling back
 * to a literal match when the pattern is not valid JavaScript.
 *
 * @param pattern The Python pattern (usually a plain word).
 * @param flags Extra flags (`g`, `i`).
 * @returns The regular expression.
 */
export function pyPattern(pattern: string, flags: string): RegExp {
  for (const f of [`${flags}u`, flags]) {
    try {
      return new RegExp(pattern, f);
    } catch {
      // try the next
    }
  }
  return new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), `${flags}u`);
}

/**
 * Counts non-overlapping matches, as Python's `len(re.findall(...))`.
 *
 * @param regex A regular expression (the `g` flag is added when missing).
 * @param text The text.
 * @returns The number of matches.
 */
export function countMatches(regex: RegExp, text: string): number {
  const global = regex.global ? regex : new RegExp(regex.source, `${regex.flags}g`);
  let n = 0;
  for (const _ of text.matchAll(global)) n++;
  return n;
}

/**
 * Python's `json.loads` acceptance test: standard JSON plus Python's extensions (`NaN`,
 * `Infinity`, `-Infinity`), with Python's strict string rules (no raw control characters).
 *
 * @param text The text.
 * @returns Whether `json.loads(text)` would succeed.
 */
export function pyJsonValid(text: string): boolean {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const isDigit = (at: number): boolean => at < text.length && (text[at] as string) >= '0' && (text[at] as string) <= '9';
  const literal = (word: string): boolean => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return true;
    }
    return false;
  };
  const string = (): boolean => {
    i++; // opening quote
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return true;
      }
      if (c.charCodeAt(0) < 0x20) return false; // strict mode: no control characters
      if (c === '\\') {
        const e = text[i + 1];
        if (e === undefined) return false;
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(e)) return false;
        i += 2;
        continue;
      }
      i++;
    }
    return false;
  };
  const number = (): boolean => {
    if (text[i] === '-') i++;
    if (literal('Infinity')) return true;
    if (!isDigit(i)) return false;
    if (text[i] === '0') i++;
    else while (isDigit(i)) i++;
    if (text[i] === '.' && isDigit(i + 1)) {
      i++;
      while (isDigit(i)) i++;
    }
    if ((text[i] === 'e' || text[i] === 'E') && (isDigit(i + 1) || ((text[i + 1] === '+' || text[i + 1] === '-') && isDigit(i + 2)))) {
      i += text[i + 1] === '+' || text[i + 1] === '-' ? 2 : 1;
      while (isDigit(i)) i++;
    }
    return true;
  };
  // A comma-separated list of items up to `close`, from the opening bracket at `i`.
  const items = (close: string, item: () => boolean): boolean => {
    i++;
    ws();
    if (text[i] === close) {
      i++;
      return true;
    }
    for (;;) {
      if (!item()) return false;
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] !== close) return false;
      i++;
      return true;
    }
  };
  const value = (depth: number): boolean => {
    if (depth > 900) return false; // Python's recursion limit
    ws();
    const c = text[i];
    if (c === '"') return string();
    if (c === '{') {
      return items('}', () => {
        ws();
        if (text[i] !== '"' || !string()) return false;
        ws();
        if (text[i] !== ':') return false;
        i++;
        return value(depth + 1);
      });
    }
    if (c === '[') return items(']', () => value(depth + 1));
    if (literal('true') || literal('false') || literal('null') || literal('NaN') || literal('Infinity')) return true;
    if (c === '-' || isDigit(i)) return number();
    return false;
  };
  if (!value(0)) return false;
  ws();
  return i === text.length;
}
