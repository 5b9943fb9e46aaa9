import type { Plugin } from 'esbuild';
import { build } from 'esbuild';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import config from '../../tsup.config';
import { bundledChartSource } from '../../src/cli/chart-source';
import { findChartSource } from '../../src/cli/report';

describe('bundledChartSource', () => {
  it('is undefined when running from source (the report then finds Chart.js in node_modules)', () => {
    expect(bundledChartSource()).toBeUndefined();
    expect(findChartSource()).toMatch(/Chart\.js v4/);
  });

  it('the build\'s plugin replaces it with Chart.js\'s UMD script', async () => {
    const cli = (Array.isArray(config) ? config : [config]).find((o) => JSON.stringify(o.entry).includes('src/cli/cli.ts'));
    const plugins = (cli?.esbuildPlugins ?? []) as Plugin[];
    expect(plugins.map((p) => p.name)).toContain('rulelm-chart-source');
    const out = await build({ entryPoints: [resolve(__dirname, '../../src/cli/chart-source.ts')], bundle: true, write: false, format: 'esm', plugins });
    const code = out.outputFiles[0]!.text;
    expect(code).toContain('Chart.js v4');
    expect(code.length).toBeGreaterThan(100_000);
  });
});
