// The page's side of the worker: a Playground whose runs happen in worker.ts.
import type { Playground, RunOptions, RunResult } from './playground';
import type { WorkerRequest, WorkerResponse } from './worker';

interface Pending {
  readonly options: RunOptions;
  readonly resolve: (result: RunResult) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Starts the worker, loads the model in it and returns a {@link Playground} that runs there;
 * streamed text and steps arrive through the run's callbacks as the worker posts them.
 *
 * @param base The URL the page's files are relative to (default: the page's).
 * @returns The playground, once the model is loaded.
 */
export function startRemotePlayground(base: string = document.baseURI): Promise<Playground> {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'rulelm-playground' });
  const pending = new Map<number, Pending>();
  let next = 0;
  const send = (request: WorkerRequest): void => worker.postMessage(request);

  return new Promise<Playground>((resolveLoad, rejectLoad) => {
    worker.addEventListener('error', (event) => {
      const error = new Error(`the playground worker failed: ${event.message || 'could not start it'}`);
      rejectLoad(error);
      for (const p of pending.values()) p.reject(error);
      pending.clear();
    });
    worker.addEventListener('message', (event: MessageEvent<WorkerResponse>) => {
      const message = event.data;
      switch (message.type) {
        case 'ready':
          resolveLoad({
            manifest: message.manifest,
            eosTokenIds: message.eosTokenIds,
            run(options: RunOptions): Promise<RunResult> {
              const id = next++;
              const { onBaseText: _base, onRulesText: _rules, onStep: _step, ...plain } = options;
              return new Promise<RunResult>((resolve, reject) => {
                pending.set(id, { options, resolve, reject });
                send({ type: 'run', id, options: plain });
              });
            },
          });
          return;
        case 'load-error':
          rejectLoad(new Error(message.message));
          return;
        default: {
          const p = pending.get(message.id);
          if (p === undefined) return;
          if (message.type === 'text') (message.output === 'base' ? p.options.onBaseText : p.options.onRulesText)?.(message.text);
          else if (message.type === 'step') p.options.onStep?.(message.step);
          else {
            pending.delete(message.id);
            if (message.type === 'done') p.resolve(message.result);
            else p.reject(new Error(message.message));
          }
        }
      }
    });
    send({ type: 'load', base });
  });
}
