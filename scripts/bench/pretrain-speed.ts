// Fine-tuning speed of a pretrain config's model shape: examples/s of sequence classification at batch 32,
// length 64 on random ids (what the grid will do with the pretrained model). `node --import tsx
// scripts/bench/pretrain-speed.ts experiments/pretrain-opt.yaml [--set k=v ...]`, or with a model folder
// (e.g. .cache/models/pretrained/opt-tiny-imdb) instead of the YAML: that checkpoint, loaded as the grid loads it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chooseBackend, disposeParams, initParams, loadModel, train, type Params } from '@prunelab/finetune';
import { loadPretrainConfig } from '../../apps/experiments/src/pretrain-config.ts';
import { pretrainOptConfig } from '../../apps/experiments/src/pretrain.ts';

export async function fineTuneSpeed(
  c: ReturnType<typeof pretrainOptConfig>,
  n = 320,
  T = 64,
  batch = 32,
  loaded?: Params,
): Promise<number> {
  const params = loaded ?? initParams(c, 0);
  const ids = new Int32Array(n * T);
  let s = 1;
  for (let i = 0; i < ids.length; i++) ids[i] = 4 + ((s = (s * 1103515245 + 12345) >>> 0) % (c.vocab_size - 4));
  const data = {
    inputIds: ids,
    attentionMask: new Int32Array(n * T).fill(1),
    tokenTypeIds: new Int32Array(n * T),
    labels: Int32Array.from({ length: n }, (_, i) => i % 2),
    n,
    maxLength: T,
  };
  const [e] = await train({ config: c, params }, data, { epochs: 1, batchSize: batch, lr: 1e-4, seed: 0 });
  disposeParams(params);
  return e!.examplesPerSecond;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, ...rest] = process.argv.slice(2);
  const sets = rest.filter((_, i) => rest[i - 1] === '--set');
  await chooseBackend();
  const folder = file && existsSync(join(file, 'config.json')) ? loadModel(file) : undefined;
  const c = folder
    ? (folder.config as ReturnType<typeof pretrainOptConfig>)
    : (() => {
        const cfg = loadPretrainConfig(file ?? 'experiments/pretrain-opt.yaml', sets);
        return pretrainOptConfig(cfg, 4 + 256 + cfg.vocab.merges);
      })();
  console.log(
    `hidden ${c.hidden_size} layers ${c.num_hidden_layers} ffn ${c.ffn_dim} vocab ${c.vocab_size}: ` +
      `${(await fineTuneSpeed(c, 320, 64, 32, folder?.params)).toFixed(1)} examples/s (batch 32, length 64)`,
  );
}
