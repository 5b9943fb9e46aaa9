// The playground's Web Worker: loads the model and runs generations off the page's main thread
// (transformers.js's WASM inference would otherwise block painting until a generation ends),
// posting streamed text and per-step rule contributions back as they happen.
import type { ModelManifest, Playground, RunOptions, RunResult, StepContribution } from './playground';
import { loadPlayground } from './playground';

/** Messages the page sends to the worker. */
export type WorkerRequest =
  | { readonly type: 'load'; readonly base: string }
  | { readonly type: 'run'; readonly id: number; readonly options: Omit<RunOptions, 'onBaseText' | 'onRulesText' | 'onStep'> };

/** Messages the worker sends to the page. */
export type WorkerResponse =
  | { readonly type: 'ready'; readonly manifest: ModelManifest; readonly eosTokenIds: readonly number[] }
  | { readonly type: 'load-error'; readonly message: string }
  | { readonly type: 'text'; readonly id: number; readonly output: 'base' | 'rules'; readonly text: string }
  | { readonly type: 'step'; readonly id: number; readonly step: StepContribution }
  | { readonly type: 'done'; readonly id: number; readonly result: RunResult }
  | { readonly type: 'run-error'; readonly id: number; readonly message: string };

const post = (message: WorkerResponse): void => (globalThis as unknown as { postMessage(message: WorkerResponse): void }).postMessage(message);
const messageOf = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

let playground: Promise<Playground> | undefined;

globalThis.addEventListener('message', (event: Event) => {
  const request = (event as MessageEvent<WorkerRequest>).data;
  if (request.type === 'load') {
    playground ??= loadPlayground(request.base);
    playground.then(
      (p) => post({ type: 'ready', manifest: p.manifest, eosTokenIds: p.eosTokenIds }),
      (error: unknown) => post({ type: 'load-error', message: messageOf(error) }),
    );
    return;
  }
  const { id, options } = request;
  if (playground === undefined) {
    post({ type: 'run-error', id, message: 'the model is not loaded' });
    return;
  }
  playground
    .then((p) =>
      p.run({
        ...options,
        onBaseText: (text) => post({ type: 'text', id, output: 'base', text }),
        onRulesText: (text) => post({ type: 'text', id, output: 'rules', text }),
        onStep: (step) => post({ type: 'step', id, step }),
      }),
    )
    .then(
      (result) => post({ type: 'done', id, result }),
      (error: unknown) => post({ type: 'run-error', id, message: messageOf(error) }),
    );
});
