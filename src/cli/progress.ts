// The progress file of an evaluation: a header line with the settings that decide the
// responses, then one JSON line per finished (configuration, instruction). Appending a line as
// soon as a response is done makes a run resumable: an interrupted run loses only the response
// it was generating.

import type { EvalRecord } from '../eval/results';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { RuleLMError } from '../core/errors';
import { optionFlag } from './args';

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

/**
 * Opens (or creates) a progress file and reads what is done.
 *
 * @param file The file.
 * @param settings The run's settings; an existing file must have been made with the same.
 * @param fresh Discard an existing file.
 * @returns The progress.
 * @throws {RuleLMError} When an existing file with records was made with other settings (naming
 * the option that differs), or is not a progress file.
 */
export function openProgress(file: string, settings: ProgressSettings, fresh = false): Progress {
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (error) {
    throw new RuleLMError(`\`--out\` ${dirname(file)} cannot be used as the output folder (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { argument: '--out', cause: error });
  }
  if (fresh) rmSync(file, { force: true });
  const done = new Map<string, EvalRecord>();
  let ignoredLines = 0;
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    // A line cut by a crash must not swallow the next record.
    if (text.length > 0 && !text.endsWith('\n')) appendFileSync(file, '\n');
    const lines = text.split('\n').filter((l) => l.trim().length > 0);
    let header: { rulelm?: unknown; settings?: Record<string, unknown> } | undefined;
    try {
      header = JSON.parse(lines[0] ?? '') as typeof header;
    } catch {
      header = undefined;
    }
    if (header?.rulelm !== 'eval-progress' || typeof header.settings !== 'object' || header.settings === null) {
      throw new RuleLMError(`\`--out\`: ${file} is not a rulelm progress file; choose another \`--out\` or pass \`--fresh\` to replace it`, { argument: '--out' });
    }
    // A file without records (e.g. the model failed to load) holds nothing to protect.
    const empty = lines.length === 1;
    if (empty) writeFileSync(file, `${JSON.stringify({ rulelm: 'eval-progress', version: 1, settings })}\n`);
    for (const [key, now] of empty ? [] : Object.entries(settings)) {
      const before = header.settings[key] ?? null;
      if (before !== now) {
        const option = optionFlag(key);
        throw new RuleLMError(
          `\`${option}\` is ${JSON.stringify(now)}, but ${file} was made with ${JSON.stringify(before)}; pass the same value to resume, another \`--out\`, or \`--fresh\` to start over`,
          { argument: option },
        );
      }
    }
    for (const line of lines.slice(1)) {
      try {
        const record = JSON.parse(line) as EvalRecord;
        if (typeof record.config !== 'string' || typeof record.id !== 'string' || !Array.isArray(record.tokens)) throw new Error('not a record');
        done.set(progressKey(record.config, record.id), record);
      } catch {
        ignoredLines++;
      }
    }
    // Drop the unreadable lines (a write cut by a crash) so they are reported once, not on every run.
    if (ignoredLines > 0) {
      const kept = [lines[0] as string, ...[...done.values()].map((record) => JSON.stringify(record))];
      const temp = `${file}.tmp-${process.pid}`;
      writeFileSync(temp, `${kept.join('\n')}\n`);
      renameSync(temp, file);
    }
  } else {
    writeFileSync(file, `${JSON.stringify({ rulelm: 'eval-progress', version: 1, settings })}\n`);
  }
  return {
    file,
    done,
    ignoredLines,
    append(record) {
      appendFileSync(file, `${JSON.stringify(record)}\n`);
      done.set(progressKey(record.config, record.id), record);
    },
  };
}
