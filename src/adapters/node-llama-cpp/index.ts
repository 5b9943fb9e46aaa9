/**
 * rulelm's node-llama-cpp adapter (`rulelm/node-llama-cpp`): run any rulelm processor or the
 * paper's preset inside llama.cpp generation (node-llama-cpp 3), on any GGUF model. Additive
 * processors go through llama.cpp's per-step token bias, so llama.cpp's own sampling stays; the
 * others through the full logits with rulelm's decoding. `node-llama-cpp` is an optional peer
 * dependency.
 *
 * @packageDocumentation
 * @module rulelm/node-llama-cpp
 */
export type { LlamaRulesOptions, LlamaRulesPath, LlamaRulesResult, LlamaSampling, LlamaStopReason } from './generate';
export { generateWithRules, streamWithRules } from './generate';
export type { LlamaTokenizerLike } from './tokenizer';
export { llamaTokenizer } from './tokenizer';
export { hewitt2024ForLlama } from './preset';
