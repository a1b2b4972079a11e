// Tiny RoBERTa and OPT models fine-tune on real SST-2 sentences to clearly above chance. Words are mapped to ids
// by hashing (a deterministic stand-in for a tokenizer: the models start from random weights anyway).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { chooseBackend } from './backend.ts';
import { disposeParams, initParams } from './checkpoint.ts';
import type { EncodedSet } from './encoded.ts';
import { evaluate } from './evaluate.ts';
import { parseModelConfig } from './model-config.ts';
import { GLUE } from './testing/shared-paths.ts';
import { train } from './train.ts';

const VOCAB = 2048;
const FIRST_WORD_ID = 4; // 0..3: <s>, <pad>, </s>, <unk> as in RoBERTa's and OPT's vocabularies

function wordId(w: string): number {
  // FNV-1a
  let h = 2166136261;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619);
  return FIRST_WORD_ID + ((h >>> 0) % (VOCAB - FIRST_WORD_ID));
}

/** `n` rows of an SST-2 tsv (sentence \t label) with minWords..maxWords words, after skipping `skip` of them. */
function sst2(file: string, n: number, minWords: number, maxWords: number): { words: string[]; label: number }[] {
  const rows = readFileSync(join(GLUE, 'SST-2', file), 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => {
      const [sentence, label] = line.split('\t');
      return { words: sentence!.trim().toLowerCase().split(/\s+/), label: Number(label) };
    });
  return rows.filter((r) => r.words.length >= minWords && r.words.length <= maxWords).slice(0, n);
}

/** RoBERTa: <s> words </s>; OPT: </s> (its BOS) words; both padded with 1 and cut to L. */
function encode(examples: { words: string[]; label: number }[], arch: 'roberta' | 'opt', L: number): EncodedSet {
  const n = examples.length;
  const ids = new Int32Array(n * L).fill(1);
  const mask = new Int32Array(n * L);
  const labels = new Int32Array(n);
  examples.forEach((e, i) => {
    const words = e.words.map(wordId);
    const toks = arch === 'roberta' ? [0, ...words.slice(0, L - 2), 2] : [2, ...words.slice(0, L - 1)];
    toks.forEach((t, j) => {
      ids[i * L + j] = t;
      mask[i * L + j] = 1;
    });
    labels[i] = e.label;
  });
  return { inputIds: ids, attentionMask: mask, tokenTypeIds: new Int32Array(n * L), labels, n, maxLength: L };
}

const shape = { vocab_size: VOCAB, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_labels: 2 };
const CONFIGS = {
  roberta: parseModelConfig({
    ...shape,
    model_type: 'roberta',
    intermediate_size: 64,
    max_position_embeddings: 34,
    type_vocab_size: 1,
    layer_norm_eps: 1e-5,
  }),
  opt: parseModelConfig({ ...shape, model_type: 'opt', ffn_dim: 64, max_position_embeddings: 32 }),
};

// RoBERTa reads the sentence through attention into <s>, which takes more (smaller) steps to get going than OPT
// scoring its last token.
const HYPER = { roberta: { batchSize: 32, lr: 3e-3 }, opt: { batchSize: 64, lr: 5e-3 } };

before(async () => {
  await chooseBackend();
});

for (const arch of ['roberta', 'opt'] as const) {
  test(
    `a tiny ${arch} fine-tuned on 2000 SST-2 training phrases beats chance on the SST-2 dev ` + `sentences`,
    async (t) => {
      const trainSet = encode(sst2('train.tsv', 2000, 3, 12), arch, 16);
      const dev = encode(sst2('dev.tsv', 400, 1, 1000), arch, 32);
      const majority = Math.max(...[0, 1].map((y) => dev.labels.filter((l) => l === y).length)) / dev.n;
      const model = { config: CONFIGS[arch], params: initParams(CONFIGS[arch], 1) };
      const before = await evaluate(model, dev);
      await train(model, trainSet, { ...HYPER[arch], epochs: 2, warmupSteps: 10, weightDecay: 0.01, seed: 1 });
      const after = await evaluate(model, dev);
      disposeParams(model.params);
      t.diagnostic(
        `${arch}: SST-2 dev accuracy ${after.accuracy.toFixed(3)} (before training ${before.accuracy.toFixed(3)}, ` +
          `majority class ${majority.toFixed(3)})`,
      );
      assert.ok(
        after.accuracy > Math.max(0.6, majority + 0.08),
        `${arch}: dev accuracy ${after.accuracy} (before ${before.accuracy}, majority class ${majority})`,
      );
    },
  );
}
