// `pretrain` on a tiny config: a run stopped after a checkpoint and rerun ends with exactly the weights of an
// uninterrupted run; a finished run is a no-op; the folder loads for fine-tuning with a fresh head; the YAML
// machinery names the file and line of a bad value.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, test } from 'node:test';
import { chooseBackend, disposeParams, loadModel } from '@prunelab/finetune';
import { loadTokenizer } from '@prunelab/tokenizers';
import { ensureModel } from './models.ts';
import { pretrain } from './pretrain.ts';
import { loadPretrainConfig, type PretrainConfig } from './pretrain-config.ts';

const GPT2 = resolve(import.meta.dirname, '../../../../shared/data/tokenizers/gpt2');

function tinyConfig(root: string, name: string): PretrainConfig {
  const text = Array.from({ length: 120 }, (_, i) => ({
    text:
      `review ${i}: the film was ${['good', 'bad', 'long', 'fun'][i % 4]} and the cast ` +
      `${i % 3 ? 'shone' : 'slept'}.`,
  }));
  writeFileSync(join(root, 'train.jsonl'), text.map((t) => JSON.stringify(t)).join('\n'));
  return {
    name,
    out_dir: join(root, 'models'),
    run_dir: join(root, 'runs'),
    seed: 3,
    model: {
      hidden_size: 16,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      ffn_dim: 32,
      max_position_embeddings: 16,
      dropout: 0.1,
    },
    vocab: { tokenizer: GPT2, merges: 60 },
    data: {
      held_out_fraction: 0.1,
      eval_blocks: 8,
      sources: [{ file: join(root, 'train.jsonl'), format: 'jsonl', field: 'text' }],
    },
    train: {
      block_size: 8,
      batch_size: 4,
      steps: 6,
      lr: 1e-2,
      warmup: 2,
      min_lr_ratio: 0.1,
      weight_decay: 0.01,
      max_grad_norm: 1,
      dropout: 0.1,
      checkpoint_every: 2,
      log_every: 2,
    },
  };
}

const quiet = { log: () => {}, noBackend: true, noTracking: true };

before(async () => {
  await chooseBackend('cpu');
});

test('kill and resume gives the weights of an uninterrupted run; a finished run is a no-op', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pretrain-'));
  const whole = await pretrain(tinyConfig(root, 'whole'), quiet);
  const cfg = tinyConfig(root, 'resumed');
  const stopped = await pretrain(cfg, { ...quiet, stopAfter: 3 });
  assert.equal(stopped.steps, 3);
  const resumed = await pretrain(cfg, quiet);
  assert.equal(resumed.steps, 6);
  assert.ok(
    readFileSync(join(whole.modelDir, 'model.safetensors')).equals(
      readFileSync(join(resumed.modelDir, 'model.safetensors')),
    ),
  );
  assert.ok(resumed.pplAfter! < resumed.pplBefore!, `held-out perplexity ${resumed.pplBefore} -> ${resumed.pplAfter}`);
  const again = await pretrain(cfg, quiet);
  assert.equal(again.skipped, true);
  const m = loadModel(resumed.modelDir);
  assert.deepEqual(m.newlyInitialised, ['score.weight']);
  assert.equal(m.config.vocab_size, loadTokenizer(resumed.modelDir).vocabSize);
  disposeParams(m.params);
});

test('the pretrain YAML: defaults, --set, and file:line errors', () => {
  const root = mkdtempSync(join(tmpdir(), 'pretrain-cfg-'));
  const file = join(root, 'p.yaml');
  writeFileSync(
    file,
    'name: x\ndata:\n  sources:\n    - { file: a/train.jsonl, format: jsonl }\ntrain:\n  steps: 10\n',
  );
  const cfg = loadPretrainConfig(file, ['train.lr=0.003']);
  assert.equal(cfg.train.lr, 0.003);
  assert.equal(cfg.train.steps, 10);
  assert.equal(cfg.vocab.merges, 8000);
  writeFileSync(file, 'name: x\ndata:\n  sources: []\ntrain:\n  stepz: 10\n');
  assert.throws(() => loadPretrainConfig(file), /p\.yaml:5: unknown key 'train\.stepz' \(did you mean 'steps'\?\)/);
});

test('a grid model with `pretrain:` is made by pretraining when its folder is missing', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pretrain-hook-'));
  const cfg = tinyConfig(root, 'hook');
  const yaml = join(root, 'p.yaml');
  writeFileSync(yaml, JSON.stringify({ ...cfg, data: { ...cfg.data }, train: { ...cfg.train, steps: 2 } })); // JSON is YAML
  const lines: string[] = [];
  const dir = await ensureModel(
    'tiny-lm',
    { path: join(root, 'model'), family: 'opt', generate_if_missing: true, init_seed: 0, pretrain: yaml },
    (l) => lines.push(l),
  );
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['OPTForCausalLM']);
  assert.ok(
    lines.some((l) => l.includes('pretraining it from')),
    lines.join('\n'),
  );
});
