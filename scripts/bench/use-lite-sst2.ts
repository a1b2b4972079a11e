// `npm run bench:use-lite`: USE-Lite training throughput on real SST-2 batches, the way the experiments train
// (the real tokenizer, batches of 16 cut to their longest row, AdamW, dropout): examples/s, real tokens/s and model
// GFLOP/s (counted at each batch's padded length, as benchFlops counts the peer). The yardstick of the engine work of
// issue 15; run it before and after a change in one sitting, on a quiet machine.
//   --n 800 (training sentences: the first n of SST-2 train)  --batch 16  --warmup 5 (batches not timed)
//   --model .cache/models/use-lite (made by `npm start` or any run of a config with the use-lite family)
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeExamples, findRepoRoot } from '@prunelab/datasets';
import { chooseBackend, disposeParams, loadModel, nativeStatus, readModelConfig, train } from '@prunelab/finetune';
import { loadTokenizer } from '@prunelab/tokenizers';
import { benchFlops } from './engine-cell.ts';

const { values: a } = parseArgs({
  options: {
    n: { type: 'string', default: '800' },
    batch: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '5' },
    model: { type: 'string', default: join(findRepoRoot(), '.cache/models/use-lite') },
    data: { type: 'string', default: resolve(findRepoRoot(), '../shared/data/glue/SST-2/train.tsv') },
  },
});
const dir = a.model!;
if (!existsSync(join(dir, 'config.json')))
  throw new Error(`${dir}: no USE-Lite folder; run \`npm start\` once (it converts USE-Lite there) or pass --model`);
const n = Number(a.n);
const B = Number(a.batch);
const warmup = Number(a.warmup);

const backend = await chooseBackend();
const lines = readFileSync(a.data!, 'utf8').split('\n').slice(1).filter(Boolean).slice(0, n);
const examples = lines.map((l, i) => {
  const [text, label] = l.split('\t') as [string, string];
  return { id: `sst2-${i}`, text, label: Number(label) };
});
const data = encodeExamples(loadTokenizer(dir), examples, 64);
const lengths = Array.from({ length: data.n }, (_, r) => {
  let k = 0;
  for (let t = 0; t < data.maxLength; t++) k += data.attentionMask[r * data.maxLength + t]!;
  return k;
});
const config = readModelConfig(join(dir, 'config.json'));
const model = loadModel(dir, { head: 'seqcls', numLabels: 2, seed: 1 });
let last = performance.now();
let seen = 0;
const timed = { seconds: 0, examples: 0, tokens: 0, padded: 0, flops: 0 };
await train(model, data, {
  epochs: 1,
  batchSize: B,
  lr: 1e-3,
  seed: 1,
  onBatch: (b) => {
    const now = performance.now();
    if (seen++ >= warmup) {
      const lens = [...b.rows].map((r) => lengths[r]!);
      const L = Math.max(...lens);
      timed.seconds += (now - last) / 1000;
      timed.examples += b.rows.length;
      timed.tokens += lens.reduce((s, x) => s + x, 0);
      timed.padded += L * b.rows.length;
      timed.flops += benchFlops(config as Parameters<typeof benchFlops>[0], b.rows.length, L, true);
    }
    last = now;
  },
});
disposeParams(model.params);
console.log(
  `USE-Lite training on the first ${n} SST-2 sentences, batch ${B}, ${backend.name}, ${nativeStatus().summary}`,
);
console.log(
  `${(timed.examples / timed.seconds).toFixed(1)} examples/s, ${(timed.tokens / timed.seconds).toFixed(0)} ` +
    `real tokens/s, ${(timed.flops / timed.seconds / 1e9).toFixed(1)} GFLOP/s ` +
    `(${timed.examples} examples after ${warmup} warm-up batches, ${timed.seconds.toFixed(1)} s); ` +
    `${((100 * timed.tokens) / timed.padded).toFixed(0)}% of the positions computed are real tokens (the rest is padding)`,
);
