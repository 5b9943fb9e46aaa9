import type { Options } from 'tsup';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const library: Options = {
  entry: { index: 'src/index.ts', transformers: 'src/adapters/transformers/index.ts', 'node-llama-cpp': 'src/adapters/node-llama-cpp/index.ts', eval: 'src/eval/index.ts' },
  format: ['esm', 'cjs'],
  // @internal declarations (the spec plumbing, which names valibot's types) stay out of the published types.
  dts: { compilerOptions: { stripInternal: true } },
  tsconfig: 'tsconfig.build.json',
  sourcemap: true,
  clean: false, // the prebuild script empties dist/ (two configs build into it at once)
  treeshake: true,
  target: 'es2022',
  // Classes keep their names in the bundle (`RuleLMError`, `TokenBias`), for messages and stacks.
  keepNames: true,
  // Shared chunks in CommonJS too, so rulelm and rulelm/transformers share one copy of each class (instanceof).
  splitting: true,
  external: ['@huggingface/transformers', 'node-llama-cpp'],
};

// The `rulelm` command (the package's bin): ESM with a shebang; its helper libraries are bundled
// so the published package keeps zero runtime dependencies. The createRequire line lets the
// bundled CommonJS code (cli-progress) require Node's built-in modules from ESM.
const cli: Options = {
  entry: { cli: 'src/cli/cli.ts' },
  format: ['esm'],
  dts: false,
  tsconfig: 'tsconfig.build.json',
  sourcemap: true,
  clean: false,
  treeshake: true,
  target: 'es2022',
  platform: 'node',
  external: ['@huggingface/transformers'],
  noExternal: ['cli-progress', 'franc-min'],
  // Inline Chart.js's UMD script (as text) into the command, for the HTML report's charts.
  esbuildPlugins: [
    {
      name: 'rulelm-chart-source',
      setup(build) {
        build.onLoad({ filter: /src[\\/]cli[\\/]chart-source\.ts$/ }, () => {
          const umd = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.js');
          return { contents: `export function bundledChartSource() { return ${JSON.stringify(readFileSync(umd, 'utf8'))}; }`, loader: 'ts' };
        });
      },
    },
  ],
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __rulelmCreateRequire } from 'node:module';\nconst require = __rulelmCreateRequire(import.meta.url);" },
};

const config: Options[] = [library, cli];

export default config;
