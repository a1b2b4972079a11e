// A tiny BERT with random weights in a Hugging Face style folder: the default model of the smoke experiment
// and of tests, since no pretrained weights can be downloaded on the machines this project is built on.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findRepoRoot } from '@prunelab/data';
import { disposeParams, hubFile, initParams, parseBertConfig, saveModel } from '@prunelab/finetune';

/** Half the width of Google's BERT-tiny (2 layers, hidden 64, 2 heads, FFN 256): 0.1M parameters besides the
 * 2.0M of the bert-base-uncased WordPiece embeddings. Width 128 trains 2.5x slower on 2 cores (76 vs 190
 * examples/s at length 32), which would stretch the smoke experiment past 10 minutes. */
export const TINY_BERT_SHAPE = {
  vocab_size: 30522, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 256,
  max_position_embeddings: 512, type_vocab_size: 2, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1,
  initializer_range: 0.02, layer_norm_eps: 1e-12, pad_token_id: 0, num_labels: 2,
};

/** tokenizer.json of bert-base-uncased: from ../shared/data when present, else from the Hub cache. */
async function bertUncasedTokenizer(cacheDir: string): Promise<string> {
  const shared = resolve(findRepoRoot(), '../shared/data/tokenizers/bert-base-uncased/tokenizer.json');
  if (existsSync(shared)) return shared;
  return hubFile('bert-base-uncased', 'tokenizer.json', join(cacheDir, 'hub'));
}

export interface TinyModelOptions { seed?: number; overrides?: Record<string, number>; cacheDir?: string }

/** Create the folder (config.json, model.safetensors, tokenizer.json) unless it already holds a model. */
export async function ensureTinyModel(dir: string, opts: TinyModelOptions = {}): Promise<{ dir: string; created: boolean }> {
  if (existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors'))) return { dir, created: false };
  const config = parseBertConfig({ ...TINY_BERT_SHAPE, ...opts.overrides });
  mkdirSync(dir, { recursive: true });
  const tokenizer = await bertUncasedTokenizer(opts.cacheDir ?? join(findRepoRoot(), '.cache'));
  writeFileSync(join(dir, 'tokenizer.json'), readFileSync(tokenizer)); // a copy, so the folder is self-contained
  const params = initParams(config, opts.seed ?? 0);
  saveModel(dir, config, params);
  disposeParams(params);
  return { dir, created: true };
}
