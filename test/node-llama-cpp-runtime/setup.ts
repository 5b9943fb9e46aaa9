/**
 * Installs node-llama-cpp for rulelm's tests, examples and benchmarks (`npm run setup:llama-cpp`),
 * and links it as `node_modules/node-llama-cpp` of the root project.
 *
 * node-llama-cpp lists every prebuilt binary (CPU, CUDA, Vulkan, each platform) as an optional
 * dependency, and npm installs all those that match the platform: hundreds of MB of CUDA and
 * Vulkan libraries on Linux. This folder has its own package.json (node-llama-cpp and its CPU
 * binary `@node-llama-cpp/linux-x64`) and `.npmrc` (`omit=optional`), so npm installs only those,
 * from the registry, with nothing downloaded by node-llama-cpp and nothing compiled
 * (`NODE_LLAMA_CPP_SKIP_DOWNLOAD=true`). `npm install --no-save` (not `npm ci`) because npm leaves
 * the skipped optional packages out of the lockfile and `npm ci` then refuses it.
 *
 *   npx tsx test/node-llama-cpp-runtime/setup.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = spawnSync(npm, ['install', '--no-save', '--no-audit', '--no-fund'], {
  cwd: HERE,
  stdio: 'inherit',
  env: { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' },
});
if (run.error !== undefined) throw run.error;
if (run.status !== 0) process.exit(run.status ?? 1);

const target = join(HERE, 'node_modules', 'node-llama-cpp');
if (!existsSync(target)) throw new Error(`npm did not install ${target}`);
const link = join(ROOT, 'node_modules', 'node-llama-cpp');
mkdirSync(dirname(link), { recursive: true });
// rmSync follows no symlink: it removes an old link (or folder) itself.
if (lstatSync(link, { throwIfNoEntry: false }) !== undefined) rmSync(link, { recursive: true, force: true });
symlinkSync(relative(dirname(link), target), link, 'dir');
console.log(`node-llama-cpp linked: ${relative(ROOT, link)} -> ${relative(ROOT, target)}`);
