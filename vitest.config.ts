import type { ViteUserConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

const config: ViteUserConfig = defineConfig({
  // Examples and docs import the package by its public names; tests run them from source.
  resolve: {
    alias: [
      { find: /^rulelm$/, replacement: source('./src/index.ts') },
      { find: /^rulelm\/transformers$/, replacement: source('./src/adapters/transformers/index.ts') },
      { find: /^rulelm\/eval$/, replacement: source('./src/eval/index.ts') },
      { find: /^rulelm\/node-llama-cpp$/, replacement: source('./src/adapters/node-llama-cpp/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ when stale: some tests check the built package as users get it.
    globalSetup: ['test/setup/build.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text', 'json-summary', 'html'],
      reportsDirectory: 'coverage',
    },
    typecheck: {
      enabled: true,
      include: ['test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
});

export default config;
