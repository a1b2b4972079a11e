// Tiny models with random weights in a Hugging Face style folder, one per family: the default model of the smoke
// experiment and of tests, and the fallback of the cpu-grid's model paths, since no pretrained weights can be
// downloaded on the machines this project is built on.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findRepoRoot } from '@prunelab/datasets';
import { disposeParams, hubFile, initParams, parseModelConfig, saveModel } from '@prunelab/finetune';
import type { Family } from './schema.ts';

/** Half the width of Google's BERT-tiny (2 layers, hidden 64, 2 heads, FFN 256): 0.1M parameters besides the
 * 2.0M of the bert-base-uncased WordPiece embeddings. Width 128 trains 2.5x slower on 2 cores (76 vs 190
 * examples/s at length 32), which would stretch the smoke experiment past 10 minutes. */
export const TINY_BERT_SHAPE = {
  vocab_size: 30522, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 256,
  max_position_embeddings: 512, type_vocab_size: 2, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1,
  initializer_range: 0.02, layer_norm_eps: 1e-12, pad_token_id: 0, num_labels: 2,
};

/** The same size with RoBERTa's conventions (pad 1, positions offset by 2, one token type, eps 1e-5). */
export const TINY_ROBERTA_SHAPE = {
  model_type: 'roberta', architectures: ['RobertaForSequenceClassification'], vocab_size: 50265, hidden_size: 64, num_hidden_layers: 2,
  num_attention_heads: 2, intermediate_size: 256, max_position_embeddings: 514, type_vocab_size: 1, hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1, initializer_range: 0.02, layer_norm_eps: 1e-5, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2, num_labels: 2,
};

/** A pre-LN OPT decoder of the same size (opt-125m's layout; opt-350m is post-LN with projections). */
export const TINY_OPT_SHAPE = {
  model_type: 'opt', architectures: ['OPTForSequenceClassification'], vocab_size: 50272, hidden_size: 64, num_hidden_layers: 2,
  num_attention_heads: 2, ffn_dim: 256, max_position_embeddings: 2048, word_embed_proj_dim: 64, do_layer_norm_before: true,
  dropout: 0.1, attention_dropout: 0, activation_function: 'relu', init_std: 0.02, pad_token_id: 1, bos_token_id: 2, eos_token_id: 2, num_labels: 2,
};

const SHARED_TOKENIZERS = () => resolve(findRepoRoot(), '../shared/data/tokenizers');

/** tokenizer.json of bert-base-uncased: from ../shared/data when present, else from the Hub cache. */
async function bertUncasedTokenizer(cacheDir: string): Promise<string> {
  const shared = join(SHARED_TOKENIZERS(), 'bert-base-uncased/tokenizer.json');
  if (existsSync(shared)) return shared;
  return hubFile('bert-base-uncased', 'tokenizer.json', join(cacheDir, 'hub'));
}

/**
 * RoBERTa/OPT-style byte-level BPE files built from GPT-2's (same merges): <s> <pad> </s> <unk> first, then
 * GPT-2's tokens in their order, <mask> last. The ids differ from roberta-base's vocab.json, which only matters
 * for pretrained weights; a random model just needs a consistent vocabulary.
 */
function writeBpeTokenizer(dir: string, family: 'roberta' | 'opt'): void {
  const src = join(SHARED_TOKENIZERS(), 'gpt2');
  if (!existsSync(join(src, 'encoder.json')) || !existsSync(join(src, 'vocab.bpe'))) {
    throw new Error(`a tiny random ${family} needs GPT-2's encoder.json and vocab.bpe in ${src}; point the model path at a real ${family} folder instead`);
  }
  const gpt2 = JSON.parse(readFileSync(join(src, 'encoder.json'), 'utf8')) as Record<string, number>;
  const vocab = new Map<string, number>([['<s>', 0], ['<pad>', 1], ['</s>', 2], ['<unk>', 3]]);
  for (const [tok] of Object.entries(gpt2).sort((a, b) => a[1] - b[1])) if (!vocab.has(tok)) vocab.set(tok, vocab.size);
  vocab.set('<mask>', vocab.size);
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(Object.fromEntries(vocab)));
  copyFileSync(join(src, 'vocab.bpe'), join(dir, 'merges.txt'));
  const specials = { bos_token: family === 'opt' ? '</s>' : '<s>', eos_token: '</s>', pad_token: '<pad>', unk_token: '<unk>' };
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(family === 'roberta'
    ? { tokenizer_class: 'RobertaTokenizer', ...specials, mask_token: { content: '<mask>', lstrip: true }, model_max_length: 512 }
    : { tokenizer_class: 'GPT2Tokenizer', add_bos_token: true, ...specials, model_max_length: 2048 }, null, 2) + '\n');
}

export interface TinyModelOptions { seed?: number; overrides?: Record<string, number>; cacheDir?: string; family?: Family }

/** Create the folder (config.json, model.safetensors, tokenizer files) unless it already holds a model. */
export async function ensureTinyModel(dir: string, opts: TinyModelOptions = {}): Promise<{ dir: string; created: boolean }> {
  if (existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors'))) return { dir, created: false };
  const family = opts.family ?? 'bert';
  if (family === 'use-lite') throw new Error('USE-Lite has no tiny random variant: its folder is converted from the npm package (models.ts)');
  const shape = family === 'bert' ? TINY_BERT_SHAPE : family === 'roberta' ? TINY_ROBERTA_SHAPE : TINY_OPT_SHAPE;
  const config = parseModelConfig({ ...shape, ...opts.overrides });
  mkdirSync(dir, { recursive: true });
  const cacheDir = opts.cacheDir ?? join(findRepoRoot(), '.cache');
  if (family === 'bert') writeFileSync(join(dir, 'tokenizer.json'), readFileSync(await bertUncasedTokenizer(cacheDir))); // a copy: the folder is self-contained
  else writeBpeTokenizer(dir, family);
  const params = initParams(config, opts.seed ?? 0);
  saveModel(dir, config, params);
  disposeParams(params);
  return { dir, created: true };
}
