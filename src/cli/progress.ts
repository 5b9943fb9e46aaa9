// The progress file of an evaluation: a header line with the settings that decide the
// responses, then one JSON line per finished (configuration, instruction). Appending a line as
// soon as a response is done makes a run resumable: an interrupted run loses only the response
// it was generating.

import type { EvalRecord } from '../eval/results';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RuleLMError } from '../core/errors';
import { optionFlag } from './args';
import { fingerprint } from './data';

/**
 * The settings that decide the responses, by setting name (`maxNewTokens`), as the header of the
 * progress file records them: a resumed run must use the same (see `resumeSettings`).
 */
export type ProgressSettings = Readonly<Record<string, string | number | boolean | null>>;

/** An open progress file. */
export interface Progress {
  /** The file. */
  readonly file: string;
  /** Finished records by {@link progressKey}. */
  readonly done: ReadonlyMap<string, EvalRecord>;
  /** Lines that could not be read (e.g. cut by a crash) and were ignored. */
  readonly ignoredLines: number;
  /**
   * Records that were dropped, to be generated again: readable lines that are not a whole record
   * (a field of the wrong type) or that another run wrote (other settings, e.g. copied from
   * another model's progress file). They are moved to {@link Progress.rejectedFile}, not lost.
   */
  readonly rejected: { readonly malformed: number; readonly otherRun: number };
  /** Where dropped lines (unreadable, malformed, from another run) are kept: `progress.rejected.jsonl`. */
  readonly rejectedFile: string;
  /**
   * Appends a finished record (one line, written at once).
   *
   * @param record The record.
   */
  append(record: EvalRecord): void;
}

/**
 * The key of a (configuration, instruction) pair in the progress file.
 *
 * @param config The configuration.
 * @param id The instruction's id.
 * @returns The key.
 */
export function progressKey(config: string, id: string): string {
  return `${config}\u0000${id}`;
}

const FINISH: readonly string[] = ['eos', 'limit', 'context'];
const isCount = (x: unknown): boolean => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isOptionalString = (x: unknown): boolean => x === undefined || typeof x === 'string';

/**
 * Tells whether a parsed progress line is a whole record: every field of its type (a record
 * with a wrong field would crash the report on every later run).
 *
 * @param value A parsed line.
 * @returns `true` for a record.
 */
export function isEvalRecord(value: unknown): value is EvalRecord & { readonly run?: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.config === 'string' &&
    typeof r.id === 'string' &&
    Array.isArray(r.tokens) &&
    r.tokens.every(isCount) &&
    typeof r.finish === 'string' &&
    FINISH.includes(r.finish) &&
    typeof r.text === 'string' &&
    isOptionalString(r.raw) &&
    isCount(r.promptTokens) &&
    typeof r.ms === 'number' &&
    Number.isFinite(r.ms) &&
    r.ms >= 0 &&
    isOptionalString(r.skipped) &&
    isOptionalString(r.hash) &&
    isOptionalString(r.run)
  );
}

/**
 * Creates a folder and its missing parents, one level at a time. (`mkdirSync` with `recursive`
 * loops forever where a parent exists but refuses new entries with ENOENT, as `/proc/self` does.)
 *
 * @param folder The folder.
 * @throws {Error} The file system's error for the first level that cannot be made.
 */
export function makeFolder(folder: string): void {
  const missing: string[] = [];
  let at = resolve(folder);
  while (!existsSync(at)) {
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const level of missing.reverse()) mkdirSync(level);
  if (!statSync(folder).isDirectory()) throw Object.assign(new Error(`${folder} is not a folder`), { code: 'ENOTDIR' });
}

/**
 * Writes a file through a temporary file renamed into place, so that a reader never sees half a
 * file. Creates the folder when missing.
 *
 * @param file The file.
 * @param text Its new content.
 * @throws {Error} The file system's error when the folder or the file cannot be written.
 */
export function writeAtomic(file: string, text: string): void {
  makeFolder(dirname(file));
  const temp = `${file}.tmp-${process.pid}`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

const outError = (what: string, error: unknown): RuleLMError =>
  new RuleLMError(`\`--out\` ${what} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { argument: '--out', cause: error });

/**
 * Opens (or creates) a progress file and reads what is done. Lines that cannot be used (cut by a
 * crash, a field of the wrong type, written by another run) are moved to
 * `progress.rejected.jsonl`, counted, and their responses generated again.
 *
 * @param file The file.
 * @param settings The run's settings; an existing file must have been made with the same.
 * @param fresh Discard an existing file.
 * @returns The progress.
 * @throws {RuleLMError} Naming `--out` when the folder cannot be made or the file cannot be read
 * or written (a folder in its place, no permission), or is not a progress file; naming the option
 * that differs when an existing file with records was made with other settings.
 */
export function openProgress(file: string, settings: ProgressSettings, fresh = false): Progress {
  try {
    makeFolder(dirname(file));
  } catch (error) {
    throw outError(`${dirname(file)} cannot be used as the output folder`, error);
  }
  try {
    return open(file, settings, fresh);
  } catch (error) {
    if (RuleLMError.isInstance(error)) throw error;
    throw outError(`${file} cannot be used as the progress file`, error);
  }
}

function open(file: string, settings: ProgressSettings, fresh: boolean): Progress {
  const rejectedFile = join(dirname(file), 'progress.rejected.jsonl');
  if (existsSync(file) && !statSync(file).isFile()) {
    throw new RuleLMError(`\`--out\`: ${file} is not a file (a folder is in its place); move it away or choose another \`--out\``, { argument: '--out' });
  }
  if (fresh) rmSync(file, { force: true });
  // Records carry a fingerprint of the settings, so one copied from another run is recognized.
  const run = fingerprint(JSON.stringify(settings));
  const header = `${JSON.stringify({ rulelm: 'eval-progress', version: 1, settings })}\n`;
  const done = new Map<string, EvalRecord>();
  let ignoredLines = 0;
  const rejected = { malformed: 0, otherRun: 0 };
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    // A line cut by a crash must not swallow the next record.
    if (text.length > 0 && !text.endsWith('\n')) appendFileSync(file, '\n');
    const lines = text.split('\n').filter((l) => l.trim().length > 0);
    let head: { rulelm?: unknown; settings?: Record<string, unknown> } | undefined;
    try {
      head = JSON.parse(lines[0] ?? '') as typeof head;
    } catch {
      head = undefined;
    }
    if (head?.rulelm !== 'eval-progress' || typeof head.settings !== 'object' || head.settings === null) {
      throw new RuleLMError(`\`--out\`: ${file} is not a rulelm progress file; choose another \`--out\` or pass \`--fresh\` to replace it`, { argument: '--out' });
    }
    // A file without records (e.g. the model failed to load) holds nothing to protect.
    const empty = lines.length === 1;
    if (empty) writeFileSync(file, header);
    for (const [key, now] of empty ? [] : Object.entries(settings)) {
      const before = head.settings[key] ?? null;
      if (before !== now) {
        const option = optionFlag(key);
        throw new RuleLMError(
          `\`${option}\` is ${JSON.stringify(now)}, but ${file} was made with ${JSON.stringify(before)}; pass the same value to resume, another \`--out\`, or \`--fresh\` to start over`,
          { argument: option },
        );
      }
    }
    const dropped: string[] = [];
    for (const line of lines.slice(1)) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        ignoredLines++;
        dropped.push(line);
        continue;
      }
      if (!isEvalRecord(value)) {
        rejected.malformed++;
        dropped.push(line);
      } else if (value.run !== undefined && value.run !== run) {
        rejected.otherRun++;
        dropped.push(line);
      } else {
        const { run: _run, ...record } = value;
        done.set(progressKey(record.config, record.id), record);
      }
    }
    // Move the dropped lines aside so they are reported once, not on every run, and not lost.
    if (dropped.length > 0) {
      appendFileSync(rejectedFile, `${dropped.join('\n')}\n`);
      const kept = [lines[0] as string, ...[...done.values()].map((record) => JSON.stringify({ ...record, run }))];
      writeAtomic(file, `${kept.join('\n')}\n`);
    }
  } else {
    writeFileSync(file, header);
  }
  return {
    file,
    done,
    ignoredLines,
    rejected,
    rejectedFile,
    append(record) {
      appendFileSync(file, `${JSON.stringify({ ...record, run })}\n`);
      done.set(progressKey(record.config, record.id), record);
    },
  };
}
