// rulelm in real headless Chromium. The playground (examples/browser) is bundled with Vite (which
// checks that the library's source bundles for the browser without any Node-only import), served
// by `vite preview` on a free port and driven with playwright-core; the package's ESM build (tsup,
// as published) is bundled for the browser platform and run in the page too.
// Skipped, with a notice, when /usr/bin/chromium is missing (.ci/run installs it).
import type { BrowserContext, Page } from 'playwright-core';
import type { Options as TsupOptions } from 'tsup';
import type { PreviewServer } from 'vite';
import type { HookRunOptions } from '../../examples/browser/main';
import type { ModelManifest, RunResult } from '../../examples/browser/playground';
import tsupConfig from '../../tsup.config';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { build as bundle } from 'esbuild';
import { chromium } from 'playwright-core';
import { build as tsup } from 'tsup';
import { build, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const configFile = join(root, 'examples/browser/vite.config.ts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const SCREENSHOT = join(root, 'test-artifacts/browser-playground.png');
const DOCS_SCREENSHOT = join(root, 'docs/browser-playground.png');

if (!HAS_CHROMIUM && process.env.RULELM_REQUIRE_BROWSER === '1') {
  throw new Error(`[rulelm tests] RULELM_REQUIRE_BROWSER=1 (set by .ci/run), but ${CHROMIUM} does not exist`);
}
if (!HAS_CHROMIUM) {
  console.warn(
    `\n${'!'.repeat(100)}\n[rulelm tests] NOTICE: ${CHROMIUM} is missing; the BROWSER tests (test/browser) are SKIPPED.\n` +
      `Install it with: apt-get install -y chromium   (or set CHROMIUM_PATH). CI installs it in .ci/run.\n${'!'.repeat(100)}\n`,
  );
}

/** Chromium flags: headless, no sandbox (root in CI), and nothing that reaches the network by itself. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

const distinct = (tokens: readonly number[]): number => (tokens.length === 0 ? 0 : new Set(tokens).size / tokens.length);

describe.skipIf(!HAS_CHROMIUM)('browser playground (headless Chromium)', () => {
  let outDir = '';
  let userDataDir = '';
  let server: PreviewServer | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let manifest: ModelManifest;
  const consoleErrors: string[] = [];
  const offMachine: string[] = [];

  const run = (options: HookRunOptions): Promise<RunResult> => page.evaluate((o) => (window.rulelm as NonNullable<Window['rulelm']>).run(o), options);

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'rulelm-browser-build-'));
    userDataDir = mkdtempSync(join(tmpdir(), 'rulelm-chromium-'));
    await build({ configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    server = await preview({ configFile, logLevel: 'warn', build: { outDir }, preview: { port: 0, strictPort: false, host: '127.0.0.1' } });
    const url = server.resolvedUrls?.local[0];
    if (url === undefined) throw new Error('vite preview did not report its URL');

    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1200, height: 900 } });
    // Nothing outside this machine may be requested: record and abort anything that tries.
    await context.route('**/*', (route) => {
      const target = new URL(route.request().url());
      if (['127.0.0.1', 'localhost'].includes(target.hostname) || ['data:', 'blob:'].includes(target.protocol)) return route.continue();
      offMachine.push(target.href);
      return route.abort();
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
    await page.goto(url);
    manifest = await page.evaluate(() => (window.rulelm as NonNullable<Window['rulelm']>).ready);
    console.log(`[rulelm tests] browser playground model: ${manifest.description}`);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    for (const dir of [outDir, userDataDir]) if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('bundles for the browser without Node-only imports', () => {
    const assets = readdirSync(join(outDir, 'assets')).filter((f) => f.endsWith('.js'));
    expect(assets.length).toBeGreaterThan(0);
    for (const file of assets) {
      const code = readFileSync(join(outDir, 'assets', file), 'utf8');
      expect(code).not.toMatch(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["']node:/);
      expect(code).not.toMatch(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["'](?:fs|path|os|url|crypto|child_process|worker_threads)["']/);
      expect(code).not.toContain('onnxruntime-node');
    }
    // onnxruntime-web's WASM runtime ships with the page, not from a CDN.
    expect(existsSync(join(outDir, 'ort/ort-wasm-simd-threaded.asyncify.wasm'))).toBe(true);
  });

  it("the package's ESM build (tsup, as published) bundles for the browser (core, transformers, eval) and its core runs in the page", async () => {
    const esm = join(outDir, 'package-esm');
    // The project's tsup options for the library (the config may hold other builds too, e.g. a CLI).
    const library = ([] as TsupOptions[]).concat(tsupConfig as TsupOptions | TsupOptions[]).find((o) => JSON.stringify(o.entry ?? '').includes('src/index.ts'));
    if (library === undefined) throw new Error('tsup.config.ts has no build of src/index.ts');
    await tsup({ ...library, config: false, format: ['esm'], dts: false, sourcemap: false, clean: true, outDir: esm, silent: true });
    // esbuild's browser platform fails on any Node built-in module (node:fs, path, ...).
    const bundled = await bundle({
      entryPoints: { core: join(esm, 'index.js'), transformers: join(esm, 'transformers.js'), eval: join(esm, 'eval.js') },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      external: ['@huggingface/transformers'],
      outdir: join(outDir, 'package-browser'),
      write: true,
      logLevel: 'silent',
    });
    expect(bundled.errors).toEqual([]);
    const core = join(outDir, 'package-browser/core.js');
    await page.route('**/rulelm-package/*', (route) => route.fulfill({ contentType: 'text/javascript', body: readFileSync(join(outDir, 'package-browser', basename(new URL(route.request().url()).pathname))) }));
    const url = new URL(`/rulelm-package/${basename(core)}`, page.url()).href;
    // A string, so that the test runner's transform of import() does not reach the page.
    const row = await page.evaluate(`import(${JSON.stringify(url)}).then((m) => {
      const rules = new m.Chain(new m.TokenBias({ biases: [{ token: 3, bias: -5 }] }), new m.RepetitionPenalty({ mode: 'presence', penalty: 1.5 }));
      const sequence = m.startSequence(rules, { prompt: [1, 2], vocabSize: 8 });
      sequence.push(4);
      return { row: Array.from(sequence.process(new Float32Array(8))), classes: rules instanceof m.Processor && rules.processors[0] instanceof m.TokenBias };
    })`);
    expect(row).toEqual({ row: [0, 0, 0, -5, -1.5, 0, 0, 0], classes: true });
  });

  it('a strong EOS ramp ends the response early, and the trace shows its linear ramp', async () => {
    const result = await run({
      prompt: 'Tell me a story about a dog.',
      maxNewTokens: 96,
      rules: { eos: { on: true, strength: 4 }, uniform: { on: false, strength: 1 }, diversity: { on: false, strength: 1 }, start: { on: false, strength: 1 } },
    });
    expect(result.activeRules).toEqual(['eos']);
    expect(result.rules.endedBy).toBe('eos');
    expect(result.rules.tokens.length).toBeLessThanOrEqual(result.base.tokens.length);
    if (result.base.endedBy === 'limit') expect(result.rules.tokens.length).toBeLessThan(result.base.tokens.length);
    // Each step the ramp adds strength * 15 / 250 more to every EOS id than the step before.
    const eos = result.contributions.map((c) => c.byRule.eos);
    expect(eos.length).toBe(result.rules.tokens.length);
    const ids = await page.evaluate(() => document.getElementById('output-rules')?.textContent ?? '');
    expect(ids).toBe(result.rules.text);
    const eosCount = result.contributions.at(-1)?.changed.eos ?? 0;
    expect(eosCount).toBeGreaterThan(0);
    for (let i = 1; i < eos.length; i++) expect((eos[i] as number) - (eos[i - 1] as number)).toBeCloseTo((eosCount * 4 * 15) / 250, 2);
  });

  it('the diversity rule makes the output less repetitive', async () => {
    const result = await run({
      prompt: 'Write a poem about the sea.',
      maxNewTokens: 64,
      rules: { eos: { on: false, strength: 1 }, uniform: { on: false, strength: 1 }, diversity: { on: true, strength: 2 }, start: { on: false, strength: 1 } },
    });
    expect(result.activeRules).toEqual(['diversity']);
    expect(distinct(result.rules.tokens)).toBeGreaterThan(distinct(result.base.tokens));
    // Step 0 already penalises every token type of the user turn; the count only grows.
    const changed = result.contributions.map((c) => c.changed.diversity);
    for (let i = 1; i < changed.length; i++) expect(changed[i]).toBeGreaterThanOrEqual(changed[i - 1] as number);
  });

  it('the page itself: keyboard-usable controls, the Generate button, side-by-side outputs and the chart', async () => {
    // Keyboard: Space on the focused EOS checkbox turns the rule off and disables its slider.
    await page.getByLabel('EOS ramp').focus();
    await page.keyboard.press('Space');
    expect(await page.getByLabel('EOS ramp').isChecked()).toBe(false);
    expect(await page.locator('#rule-eos-strength').isDisabled()).toBe(true);
    // The paper preset turns it back on.
    await page.getByRole('button', { name: 'Paper preset' }).click();
    expect(await page.getByLabel('EOS ramp').isChecked()).toBe(true);

    await page.getByLabel('Instruction').fill('What should I eat for breakfast?');
    await page.getByLabel('Max new tokens').fill('128');
    // Count what the page draws while the run streams (generation runs in a worker, so it paints).
    await page.evaluate(() => {
      const counts = { base: 0, rules: 0, chart: 0 };
      (window as unknown as { streamed: typeof counts }).streamed = counts;
      const watch = (id: string, key: keyof typeof counts): void =>
        new MutationObserver(() => {
          if (!/^Done\./.test(document.getElementById('status')?.textContent ?? '')) counts[key]++;
        }).observe(document.getElementById(id) as Node, { childList: true, subtree: true, characterData: true });
      watch('output-base', 'base');
      watch('output-rules', 'rules');
      watch('chart', 'chart');
    });
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 60_000 }).toMatch(/^Done\./);
    const streamed = await page.evaluate(() => (window as unknown as { streamed: Record<'base' | 'rules' | 'chart', number> }).streamed);
    expect(streamed.base).toBeGreaterThan(3);
    expect(streamed.rules).toBeGreaterThan(3);
    expect(streamed.chart).toBeGreaterThan(1);
    const base = (await page.locator('#output-base').textContent()) ?? '';
    const rules = (await page.locator('#output-rules').textContent()) ?? '';
    expect(base.length).toBeGreaterThan(0);
    expect(rules.length).toBeGreaterThan(0);
    expect(rules).not.toBe(base);
    expect(await page.locator('#stats-base').textContent()).toMatch(/^Base: \d+ tokens/);
    expect(await page.locator('#chart rect').count()).toBeGreaterThan(0);
    expect(await page.locator('#chart-summary').textContent()).toContain('EOS ramp');

    mkdirSync(join(root, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    if (process.env.RULELM_UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(SCREENSHOT, DOCS_SCREENSHOT);
  });

  it('logged no console errors and requested nothing outside this machine', () => {
    expect(consoleErrors).toEqual([]);
    expect(offMachine).toEqual([]);
  });
});
