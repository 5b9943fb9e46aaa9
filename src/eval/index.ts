/**
 * rulelm/eval: judge-free evaluation of a model's responses, in Node and the browser. IFEval's
 * verifiable instructions with the official checker's semantics (strict and loose, prompt- and
 * instruction-level accuracy), response metrics (length, how a response ended, distinct-n,
 * repeated n-grams, whether the model continues the conversation instead of answering), the
 * configurations `rulelm eval` compares, and its results file and HTML report.
 *
 * @example
 * ```ts
 * import { evaluateIfeval, ifevalAccuracy, responseMetrics } from 'rulelm/eval';
 *
 * const results = rows.map((row, i) => evaluateIfeval(row, responses[i].text));
 * console.log(ifevalAccuracy(results).promptLevel.strict);
 * console.log(responseMetrics(responses).continuation.rate);
 * ```
 *
 * @packageDocumentation
 * @module rulelm/eval
 */
export type { IfevalAccuracy, IfevalResult, IfevalRow, InstructionCheck, InstructionId } from './ifeval';
export { IFEVAL_INSTRUCTIONS, evaluateIfeval, followsLoose, followsStrict, ifevalAccuracy, instructionCheck, isIfevalRow, looseVariants } from './ifeval';
export type { Continuation, Distribution, FinishReason, ResponseMetrics, ResponseSample } from './metrics';
export { PAPER_TURN_MARKERS, ROLE_LINE, detectContinuation, distinctN, repeatedNgramRate, responseMetrics } from './metrics';
export { DEFAULT_CONFIGS, EVAL_CONFIGS } from './configs';
export type { ConfigSummary, EvalItem, EvalRecord, EvalReport, EvalSettings, ScoredRecord } from './results';
export { summarize } from './results';
export type { ChartData } from './report-html';
export { chartData, renderHtmlReport } from './report-html';
