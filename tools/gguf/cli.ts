/**
 * Converts a transformers.js Llama model folder to a GGUF file for llama.cpp / node-llama-cpp.
 *
 *   npx tsx tools/gguf/cli.ts <model folder> [out.gguf]     # default: <folder>/model.gguf
 */
import { join } from 'node:path';
import { convertToGguf } from './index';

const [folder, out] = process.argv.slice(2);
if (folder === undefined || folder === '--help') {
  console.error('Usage: npx tsx tools/gguf/cli.ts <transformers.js model folder> [out.gguf]');
  process.exit(folder === undefined ? 2 : 0);
}
const info = convertToGguf(folder, out ?? join(folder, 'model.gguf'));
console.log(`${info.path}: ${info.bytes} bytes, ${info.dims.layers} layers, vocabulary ${info.dims.vocabSize} (${info.tokenizer} tokenizer), head ${info.tied ? 'tied' : 'separate'}`);
