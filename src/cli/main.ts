// The `rulelm` command: `rulelm eval ...`. Prints a progress bar on a terminal, a summary table
// at the end, and errors as one line naming the option.

import type { RunResult } from './run';
import cliProgress from 'cli-progress';
import { relative } from 'node:path';
import { RuleLMError } from '../core/errors';
import { EVAL_USAGE, parseEvalArgs } from './args';
import { runEval } from './run';

/** Usage text of `rulelm`. */
export const USAGE: string = `Usage: rulelm <command> [options]

Commands:
  eval     compare a model with and without the paper's rules on an instruction set
           (rulelm eval --help for its options)
`;

/** Where the command writes. */
export interface Io {
  /** Normal output (the summary). */
  readonly stdout: NodeJS.WritableStream;
  /** Progress and errors. */
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/**
 * Formats the summary of a run as a text table.
 *
 * @param result The run's result.
 * @returns The table.
 */
export function summaryTable(result: RunResult): string {
  const ifeval = result.report.configs.some((c) => c.ifeval !== undefined);
  const head = ['config', 'responses', 'mean len', 'EOS', 'limit/ctx', 'distinct-1', 'distinct-2', 'rep. 4-grams', 'continues'];
  if (ifeval) head.push('IFEval prompt S/L', 'instruction S/L');
  const rows = result.report.configs.map((c) => {
    const m = c.metrics;
    const cells = [c.config, `${m.responses}${c.skipped > 0 ? ` (+${c.skipped} skipped)` : ''}`, m.length.mean.toFixed(1), pct(m.finish.eos), pct(m.finish.limit + m.finish.context), m.distinct1.toFixed(2), m.distinct2.toFixed(2), m.repeated4.toFixed(2), pct(m.continuation.rate)];
    if (ifeval) {
      const i = c.ifeval;
      cells.push(i === undefined ? '' : `${pct(i.promptLevel.strict)} / ${pct(i.promptLevel.loose)}`, i === undefined ? '' : `${pct(i.instructionLevel.strict)} / ${pct(i.instructionLevel.loose)}`);
    }
    return cells;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/**
 * Runs the `rulelm` command.
 *
 * @param argv The arguments after the program name (`["eval", "--model", ...]`).
 * @param io Output streams.
 * @param signal Stops a run after the response being generated.
 * @returns The exit code: 0 on success, 1 on a failure, 2 on a usage error, 130 when stopped.
 */
export async function main(argv: readonly string[], io: Io = { stdout: process.stdout, stderr: process.stderr }, signal?: AbortSignal): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'eval') {
    io.stderr.write(`rulelm: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  let bar: cliProgress.SingleBar | undefined;
  try {
    const parsed = parseEvalArgs(rest);
    if (parsed.help) {
      io.stdout.write(EVAL_USAGE);
      return 0;
    }
    const settings = parsed.options;
    let tokens = 0;
    let ms = 0;
    const result = await runEval(settings, {
      ...(signal === undefined ? {} : { signal }),
      onStart({ total, done, model, ignoredLines, rejected, rejectedFile }) {
        io.stderr.write(`rulelm eval: ${model.source}, ${model.template} template, ${total} responses (${settings.configs.length} configurations), ${done} already done\n`);
        const dropped = [
          ignoredLines > 0 ? `${ignoredLines} unreadable line(s)` : '',
          rejected.malformed > 0 ? `${rejected.malformed} record(s) with a field of the wrong type` : '',
          rejected.otherRun > 0 ? `${rejected.otherRun} record(s) written by a run with other settings (e.g. another model)` : '',
        ].filter((d) => d.length > 0);
        if (dropped.length > 0) {
          io.stderr.write(`rulelm eval: ignored ${dropped.join(', ')} of the progress file (moved to ${relative(process.cwd(), rejectedFile) || rejectedFile}); those responses are generated again\n`);
        }
        if (!settings.quiet && io.stderr.isTTY === true && done < total) {
          bar = new cliProgress.SingleBar(
            { stream: io.stderr, format: ' {bar} {percentage}% | {value}/{total} | {config} | {speed} tok/s | ETA {eta_formatted}', hideCursor: true, etaBuffer: 50 },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, done, { config: '', speed: '-' });
        }
      },
      onRecord(record) {
        tokens += record.tokens.length + (record.finish === 'eos' ? 1 : 0);
        ms += record.ms;
        bar?.increment({ config: record.config, speed: ms > 0 ? Math.round((tokens * 1000) / ms) : '-' });
      },
    });
    bar?.stop();
    bar = undefined;
    const where = (file: string): string => relative(process.cwd(), file) || file;
    io.stdout.write(`${summaryTable(result)}\n\n`);
    const skipped = result.skipped > 0 ? `, skipped ${result.skipped} (the prompt does not fit the context window)` : '';
    io.stdout.write(`generated ${result.generated} response(s)${skipped}${result.report.complete ? '' : `; incomplete: ${result.report.records.length} of ${result.report.expected}, run again to resume`}\n`);
    io.stdout.write(`results: ${where(result.files.results)}\nreport:  ${where(result.files.html)}\nprogress: ${where(result.files.progress)}\n`);
    return signal?.aborted === true && !result.report.complete ? 130 : 0;
  } catch (error) {
    bar?.stop();
    if (RuleLMError.isInstance(error)) {
      io.stderr.write(`${error.message}\n`);
      return error.argument?.startsWith('-') === true || error.argument === 'argv' ? 2 : 1;
    }
    io.stderr.write(`rulelm eval failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
