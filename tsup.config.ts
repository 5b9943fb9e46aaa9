import type { Options } from 'tsup';

const config: Options = {
  entry: { index: 'src/index.ts', transformers: 'src/adapters/transformers/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  tsconfig: 'tsconfig.build.json',
  sourcemap: true,
  clean: true,
  treeshake: true,
  target: 'es2022',
  external: ['@huggingface/transformers'],
};

export default config;
