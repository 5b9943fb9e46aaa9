// The playground page: controls, side-by-side streaming outputs and the contribution chart.
// Also exposes `window.rulelm` so a test (or the console) can drive a run deterministically.
import type { ModelManifest, Playground, RunOptions, RunResult } from './playground';
import type { RuleName, RuleSettings } from './settings';
import { createChart, RULE_COLORS, RULE_LABELS } from './chart';
import { PAPER_PRESET, RULE_NAMES } from './settings';
import { startRemotePlayground } from './remote';

/** Options of `window.rulelm.run`: {@link RunOptions} without the streaming callbacks. */
export type HookRunOptions = Omit<RunOptions, 'onBaseText' | 'onRulesText' | 'onStep'>;

/** What the page exposes as `window.rulelm`. */
export interface PlaygroundHook {
  /** Resolves with the model's manifest once it is loaded (rejects if loading fails). */
  readonly ready: Promise<ModelManifest>;
  /** Runs base and base + rules through the page (panes, chart and status update) and returns the result. */
  run(options: HookRunOptions): Promise<RunResult>;
  /** The options the controls currently describe. */
  controls(): HookRunOptions;
}

declare global {
  interface Window {
    rulelm?: PlaygroundHook;
  }
}

const HINTS: Readonly<Record<RuleName, string>> = {
  eos: 'Raises the end-of-sequence score by strength × 15 · t / 250 at response step t.',
  uniform: 'Fixed changes to 15 tokens: down “I”, “We”, “What”, “should”, “<”, “|”; up “-”, “*”, “#”, “##”, newline, “!”, spaces.',
  diversity: 'Every token type already seen gets strength × −1.5.',
  start: 'The reference code’s start rule: shapes the first three response tokens (off in the paper’s model).',
};

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`the page has no #${id}`);
  return node as T;
}

const form = byId<HTMLFormElement>('controls');
const promptInput = byId<HTMLTextAreaElement>('prompt');
const maxInput = byId<HTMLInputElement>('max-new-tokens');
const fidelityInput = byId<HTMLSelectElement>('fidelity');
const generateButton = byId<HTMLButtonElement>('generate');
const statusLine = byId<HTMLParagraphElement>('status');
const panes = { base: byId<HTMLPreElement>('output-base'), rules: byId<HTMLPreElement>('output-rules') };
const stats = { base: byId<HTMLParagraphElement>('stats-base'), rules: byId<HTMLParagraphElement>('stats-rules') };
const chart = createChart(document.getElementById('chart') as unknown as SVGSVGElement, byId('chart-summary'));

// One row of controls per rule: an on/off checkbox and a strength slider, both labelled.
const ruleInputs = {} as Record<RuleName, { on: HTMLInputElement; strength: HTMLInputElement; value: HTMLOutputElement }>;
const fieldset = byId<HTMLFieldSetElement>('rules');
const presetRow = fieldset.querySelector('.preset');
for (const name of RULE_NAMES) {
  const row = document.createElement('div');
  row.className = 'rule';
  row.style.setProperty('--rule-color', RULE_COLORS[name]);
  row.innerHTML = `
    <div class="switch">
      <input type="checkbox" id="rule-${name}-on" aria-describedby="rule-${name}-hint" />
      <label for="rule-${name}-on">${RULE_LABELS[name]}</label>
    </div>
    <label for="rule-${name}-strength">Strength</label>
    <input type="range" id="rule-${name}-strength" min="0" max="4" step="0.25" aria-describedby="rule-${name}-hint" />
    <output id="rule-${name}-value" for="rule-${name}-strength"></output>
    <p class="hint" id="rule-${name}-hint">${HINTS[name]}</p>`;
  fieldset.insertBefore(row, presetRow);
  const on = byId<HTMLInputElement>(`rule-${name}-on`);
  const strength = byId<HTMLInputElement>(`rule-${name}-strength`);
  const value = byId<HTMLOutputElement>(`rule-${name}-value`);
  strength.addEventListener('input', () => {
    value.textContent = `× ${Number(strength.value).toFixed(2)}`;
  });
  on.addEventListener('change', () => {
    strength.disabled = !on.checked;
  });
  ruleInputs[name] = { on, strength, value };
}

const legend = byId<HTMLUListElement>('legend');
for (const name of RULE_NAMES) {
  const item = document.createElement('li');
  item.style.setProperty('--rule-color', RULE_COLORS[name]);
  item.textContent = RULE_LABELS[name];
  legend.append(item);
}

function setRules(settings: RuleSettings): void {
  for (const name of RULE_NAMES) {
    const { on, strength, value } = ruleInputs[name];
    on.checked = settings[name].on;
    strength.value = String(settings[name].strength);
    strength.disabled = !on.checked;
    value.textContent = `× ${settings[name].strength.toFixed(2)}`;
  }
}

function readControls(): HookRunOptions {
  const rules = Object.fromEntries(RULE_NAMES.map((name) => [name, { on: ruleInputs[name].on.checked, strength: Number(ruleInputs[name].strength.value) }])) as Record<RuleName, { on: boolean; strength: number }>;
  const max = Math.round(Number(maxInput.value));
  return {
    prompt: promptInput.value,
    maxNewTokens: Number.isFinite(max) ? Math.min(512, Math.max(1, max)) : 128,
    fidelity: fidelityInput.value === 'clean' ? 'clean' : 'reference',
    rules,
  };
}

setRules(PAPER_PRESET);
byId<HTMLButtonElement>('preset-paper').addEventListener('click', () => {
  setRules(PAPER_PRESET);
  fidelityInput.value = 'reference';
});
byId<HTMLButtonElement>('preset-off').addEventListener('click', () => {
  setRules(Object.fromEntries(RULE_NAMES.map((name) => [name, { on: false, strength: PAPER_PRESET[name].strength }])) as unknown as RuleSettings);
});
promptInput.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    form.requestSubmit();
  }
});

function setStatus(text: string, error = false): void {
  statusLine.textContent = text;
  statusLine.classList.toggle('error', error);
  statusLine.setAttribute('role', error ? 'alert' : 'status');
}

function describe(label: string, result: RunResult['base']): string {
  const ended = result.endedBy === 'eos' ? 'ended by EOS' : 'hit the token limit';
  return `${label}: ${result.tokens.length} tokens, ${ended}, ${(result.tokens.length / Math.max(1e-3, result.milliseconds / 1000)).toFixed(0)} tokens/s.`;
}

let playground: Playground | undefined;
let running = false;

async function runAndRender(options: HookRunOptions): Promise<RunResult> {
  if (playground === undefined) throw new Error('the model is not loaded yet');
  running = true;
  generateButton.disabled = true;
  for (const key of ['base', 'rules'] as const) {
    panes[key].textContent = '';
    stats[key].textContent = '';
    panes[key].setAttribute('aria-busy', 'true');
  }
  chart.reset(options.maxNewTokens ?? 128);
  setStatus('Generating with the base model…');
  let rulesStarted = false;
  try {
    const result = await playground.run({
      ...options,
      onBaseText: (text) => panes.base.append(text),
      onRulesText: (text) => panes.rules.append(text),
      onStep: (step) => {
        if (!rulesStarted) {
          rulesStarted = true;
          panes.base.setAttribute('aria-busy', 'false');
          setStatus('Generating with base + rules…');
        }
        chart.push(step);
      },
    });
    // The streamer skips special tokens and may hold back a partial word: show the final text.
    panes.base.textContent = result.base.text;
    panes.rules.textContent = result.rules.text;
    stats.base.textContent = describe('Base', result.base);
    stats.rules.textContent = result.activeRules.length === 0 ? `${describe('Base + rules', result.rules)} No rule is on.` : describe('Base + rules', result.rules);
    chart.flush();
    setStatus(`Done. Base: ${result.base.tokens.length} tokens; base + rules (${result.activeRules.map((r) => RULE_LABELS[r]).join(', ') || 'none'}): ${result.rules.tokens.length} tokens.`);
    return result;
  } catch (error) {
    setStatus(`Generation failed: ${error instanceof Error ? error.message : String(error)}`, true);
    throw error;
  } finally {
    for (const key of ['base', 'rules'] as const) panes[key].setAttribute('aria-busy', 'false');
    running = false;
    generateButton.disabled = false;
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (running || playground === undefined) return;
  runAndRender(readControls()).catch((error: unknown) => console.error('[rulelm playground]', error));
});

const ready = startRemotePlayground().then(
  (loaded) => {
    playground = loaded;
    generateButton.disabled = false;
    setStatus(`Model: ${loaded.manifest.description}. Ready.`);
    return loaded.manifest;
  },
  (error: unknown) => {
    setStatus(`Could not load the model: ${error instanceof Error ? error.message : String(error)}`, true);
    console.error('[rulelm playground]', error);
    throw error;
  },
);
ready.catch(() => undefined);

window.rulelm = { ready, run: runAndRender, controls: readControls };
