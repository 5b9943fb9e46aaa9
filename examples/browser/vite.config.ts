// Vite config of the browser playground (examples/browser). The page imports rulelm by its public
// names (`rulelm`, `rulelm/transformers`), which this config points at the source in this
// repository (in your project they resolve to the installed package), and transformers.js's web
// build; it serves what the page loads at run time from this machine only (no CDN, no hub):
//
//   /models/manifest.json     which model the page loads (name and a description)
//   /models/<name>/...        the model folder: ../shared/models/stories260K when present, else
//                             a tiny random-weight model the project generates (.cache/models),
//                             or the folder in RULELM_MODEL_DIR
//   /ort/<file>               onnxruntime-web's WASM runtime (the .mjs factory and the .wasm)
//
// `vite` / `vite preview` serve all three; `vite build` copies the runtime into dist/ort but
// never the model (serve a model folder under /models/ yourself when deploying the build).
import type { Connect, Plugin, UserConfig } from 'vite';
import type { ModelManifest } from './playground';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');

/** The shared pretrained model beside the project. */
export const SHARED_MODEL_DIR: string = resolve(repoRoot, '../shared/models/stories260K');

/** onnxruntime-web files the page needs: the WASM build transformers.js v4 selects (asyncify). */
export const ORT_FILES: readonly string[] = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

interface ModelChoice extends ModelManifest {
  /** The folder served under `/models/<name>/`. */
  readonly dir: string;
}

/**
 * Picks the model folder the page loads: `RULELM_MODEL_DIR`, else the shared stories260K, else a
 * generated tiny model (written to `.cache/models/tiny-llama` on first use).
 *
 * @returns The folder and what `/models/manifest.json` says about it.
 */
export async function chooseModel(): Promise<ModelChoice> {
  const requested = process.env.RULELM_MODEL_DIR;
  if (requested !== undefined && requested !== '') {
    const dir = resolve(requested);
    if (!existsSync(join(dir, 'config.json'))) throw new Error(`RULELM_MODEL_DIR must be a transformers.js model folder with a config.json, but is ${dir}`);
    return { dir, name: basename(dir), description: `local folder ${basename(dir)}`, pretrained: false };
  }
  if (existsSync(join(SHARED_MODEL_DIR, 'onnx', 'model.onnx'))) {
    return { dir: SHARED_MODEL_DIR, name: 'stories260K', description: 'stories260K, a real pretrained 260K-parameter Llama (../shared/models/stories260K)', pretrained: true };
  }
  const { ensureTinyModel } = await import('../../tools/model-generator/index');
  const dir = await ensureTinyModel();
  return { dir, name: basename(dir), description: `a generated tiny model with random weights (${basename(dir)}); ../shared/models/stories260K was not found`, pretrained: false };
}

/**
 * The folder holding onnxruntime-web's `dist` files, resolved from transformers.js so that the
 * runtime served is the version transformers.js imports.
 *
 * @returns An absolute folder path.
 */
export function ortDistDir(): string {
  const fromTransformers = createRequire(createRequire(import.meta.url).resolve('@huggingface/transformers'));
  return dirname(fromTransformers.resolve('onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm'));
}

const TYPES: Readonly<Record<string, string>> = {
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
  '.onnx_data': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript',
  '.txt': 'text/plain',
  '.model': 'application/octet-stream',
};

// Serves a file, or calls next() when the path is not one of ours.
function sendFile(res: Parameters<Connect.NextHandleFunction>[1], file: string): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
  res.setHeader('Content-Length', String(statSync(file).size));
  res.setHeader('Cache-Control', 'no-cache');
  createReadStream(file).pipe(res);
}

/**
 * A Vite plugin serving the model folder under `/models/` and onnxruntime-web's WASM files under
 * `/ort/`, in the dev server and in `vite preview`; `vite build` copies the WASM files to `ort/`.
 *
 * @returns The plugin.
 */
export function localFiles(): Plugin {
  let choice: Promise<ModelChoice> | undefined;
  const model = (): Promise<ModelChoice> => (choice ??= chooseModel());
  const ortDir = ortDistDir();

  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    if (path.startsWith('/ort/')) {
      const name = path.slice('/ort/'.length);
      if (!ORT_FILES.includes(name)) return next();
      sendFile(res, join(ortDir, name));
      return;
    }
    if (!path.startsWith('/models/')) return next();
    model().then(
      (m) => {
        if (path === '/models/manifest.json') {
          const manifest: ModelManifest = { name: m.name, description: m.description, pretrained: m.pretrained };
          res.setHeader('Content-Type', 'application/json');
          res.setHeader('Cache-Control', 'no-cache');
          res.end(JSON.stringify(manifest));
          return;
        }
        const prefix = `/models/${m.name}/`;
        const file = resolve(m.dir, path.slice(prefix.length));
        if (!path.startsWith(prefix) || !file.startsWith(m.dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
          // transformers.js probes optional files (e.g. generation_config.json): answer 404, not the SPA page.
          res.statusCode = 404;
          res.end('not found');
          return;
        }
        sendFile(res, file);
      },
      (error: unknown) => next(error),
    );
  };

  return {
    name: 'rulelm-local-files',
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
    async generateBundle() {
      for (const name of ORT_FILES) {
        this.emitFile({ type: 'asset', fileName: `ort/${name}`, source: await readFile(join(ortDir, name)) });
      }
    },
  };
}

const config: UserConfig = defineConfig({
  root: here,
  // Relative asset URLs, so the build works from any folder of a static server.
  base: './',
  // Read onnxruntime-web's build that loads its WASM factory from `wasmPaths` (served under
  // /ort/) instead of the one that embeds it and makes the bundler copy a second 26 MB .wasm.
  resolve: {
    conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
    // The package's public names, from the source (as vitest.config.ts and tsconfig.json do).
    alias: [
      { find: /^rulelm$/, replacement: resolve(repoRoot, 'src/index.ts') },
      { find: /^rulelm\/transformers$/, replacement: resolve(repoRoot, 'src/adapters/transformers/index.ts') },
      { find: /^rulelm\/eval$/, replacement: resolve(repoRoot, 'src/eval/index.ts') },
    ],
  },
  // Dev server: load transformers.js and onnxruntime-web as published (pre-bundling rewrites their
  // `import.meta.url` uses), and scan the worker too for the other dependencies to pre-bundle.
  optimizeDeps: { entries: ['index.html', 'worker.ts'], exclude: ['@huggingface/transformers', 'onnxruntime-web'] },
  plugins: [localFiles()],
  server: { host: '127.0.0.1', port: 5173, fs: { allow: [repoRoot] } },
  preview: { host: '127.0.0.1', port: 4173 },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000, reportCompressedSize: false },
  logLevel: 'info',
});

export default config;
