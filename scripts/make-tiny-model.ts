// Usage: npm run make-tiny-model -- [--family bert|roberta|opt|...] [--out DIR] [--seed N]
//          [--hidden N --layers N --heads N --ffn N]
// Writes a randomly initialised tiny model in Hugging Face layout (default .cache/models/tiny-<family>-random).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findRepoRoot } from '@prunelab/datasets';
import { chooseBackend, tinyConfig } from '@prunelab/finetune';
import { FAMILIES, type Family } from '../apps/experiments/src/schema.ts';
import { ensureTinyModel } from '../apps/experiments/src/tiny-model.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    seed: { type: 'string' },
    family: { type: 'string' },
    hidden: { type: 'string' },
    layers: { type: 'string' },
    heads: { type: 'string' },
    ffn: { type: 'string' },
  },
});
const overrides: Record<string, number> = {};
if (values.hidden) overrides.hidden_size = Number(values.hidden);
if (values.layers) overrides.num_hidden_layers = Number(values.layers);
if (values.heads) overrides.num_attention_heads = Number(values.heads);
const family = (values.family ?? 'bert') as Family;
if (!FAMILIES.includes(family)) throw new Error(`--family ${values.family}: expected one of ${FAMILIES.join(', ')}`);
// The FFN width's key is the family's (OPT: ffn_dim, the encoders: intermediate_size).
if (values.ffn) overrides['ffn_dim' in tinyConfig(family) ? 'ffn_dim' : 'intermediate_size'] = Number(values.ffn);
const out = values.out ?? join(findRepoRoot(), `.cache/models/tiny-${family}-random`);
await chooseBackend();
const { created } = await ensureTinyModel(out, { seed: Number(values.seed ?? 0), overrides, family });
console.log(
  created ? `wrote a random tiny ${family} to ${out}` : `${out} already holds a model; delete it to regenerate`,
);
