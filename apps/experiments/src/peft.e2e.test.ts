// The pruning protocol under PEFT, through the CLI on a tiny random BERT: phase 1 with LoRA (the H-scores come from
// LoRA runs), scores, phase 2 with a bottleneck adapter (AdapterHub SeqBn), the report. A phase-1 job is killed
// mid-epoch: its snapshot shows the base weights exactly as loaded (frozen) and AdamW state only for what trains; a
// phase-2 job is killed mid-epoch too; the reruns resume both, and every record file and metrics.jsonl equals that of
// an uninterrupted run byte for byte.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RECORD_FILES } from '@prunelab/dynamics';
import { disposeParams, loadModel, readSafetensors } from '@prunelab/finetune';
import { listExperiments, listRuns, readRun } from '@prunelab/tracking';
import { cli as run, midEpoch } from './testing/cli.ts';
import { ensureTinyModel } from './tiny-model.ts';
import { SNAPSHOT } from './train-job.ts';

const TINY = { hidden_size: 32, num_hidden_layers: 1, intermediate_size: 64, num_attention_heads: 2 };
const PHASE1 = ['sst2/a/phase1/seed-1', 'sst2/a/phase1/seed-2'];
const PHASE2 = ['sst2/a/phase2/full-seed-7', 'sst2/a/phase2/hscore-02-seed-7'];

/** The CLI with one thread, as the other e2e tests' processes may run beside it. */
const cli = (args: string[], killWhen?: () => boolean) => run(args, killWhen, { PRUNELAB_THREADS: '1' });

test('LoRA score runs -> H-scores -> bottleneck-adapter phase 2: frozen base, records, resume byte for byte, labels', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'prunelab-peft-e2e-'));
  const modelDir = join(tmp, 'model-a');
  await ensureTinyModel(modelDir, { seed: 1, overrides: TINY });
  const config = (out: string) => {
    const file = join(tmp, `${out}.yaml`);
    writeFileSync(
      file,
      [
        'name: peft',
        'tasks: [sst2]',
        'data: { train_size: 160, dev_size: 32, seed: 3, allow_download: false, max_length: 32 }',
        'models:',
        `  a: { path: ${modelDir}, peft: { method: lora, r: 4, lora_alpha: 8, target_modules: [query, value] } }`,
        'phase1: { seeds: [1, 2], epochs: 3, lr: 5.0e-3, batch_size: 16, checkpoint_every: 2 }',
        'phase2: { seeds: [7], epochs: 2, lr: 5.0e-3, batch_size: 16, methods: [full, hscore], checkpoint_every: 3, peft: { method: seq_bn } }',
        'pruning: { subsets: [winning] }',
        `output: { dir: ${join(tmp, out)} }`,
        '',
      ].join('\n'),
    );
    return file;
  };
  const straight = await cli(['run', config('straight')]);
  assert.equal(straight.code, 0, straight.out);
  assert.match(
    straight.out,
    /phase1 sst2\/a seed 1: LoRA \(peft 0\.5\.0\): r 4, lora_alpha 8, .*; 578 of [\d,]+ parameters train/,
  );
  const a = join(tmp, 'straight', 'peft');
  const b = join(tmp, 'killed', 'peft');

  // killed inside phase-1 run 1's second epoch: the snapshot holds the base exactly as loaded
  const killed = await cli(['run', config('killed')], () => midEpoch(join(b, PHASE1[0]!)));
  assert.equal(killed.signal, 'SIGKILL', `not killed:\n${killed.out}`);
  const snap = readSafetensors(join(b, PHASE1[0]!, SNAPSHOT));
  const loaded = loadModel(modelDir, { head: 'seqcls', numLabels: 2, seed: 1 });
  const trains = (n: string) => n.includes('.lora_') || n.startsWith('classifier.');
  try {
    let frozen = 0;
    for (const [name, v] of loaded.params) {
      const saved = snap.get(`param/${name}`);
      assert.ok(saved, `${name} is in the snapshot`);
      const same = Buffer.from(saved.data.buffer).equals(Buffer.from((v.dataSync() as Float32Array).buffer));
      if (trains(name)) assert.ok(!same, `${name}: the task head trains`);
      else {
        assert.ok(same, `${name}: a frozen base weight changed`);
        frozen++;
      }
    }
    assert.ok(frozen > 10, `${frozen} frozen tensors compared`);
  } finally {
    disposeParams(loaded.params);
  }
  const added = [...snap.keys()].filter((k) => k.startsWith('param/') && k.includes('.lora_'));
  assert.equal(added.length, 2 * 2); // query and value of the one layer, A and B each
  const moments = [...snap.keys()].filter((k) => k.startsWith('adam.m/')).map((k) => k.slice('adam.m/'.length));
  assert.deepEqual(
    moments.filter((n) => !trains(n)),
    [],
    'AdamW keeps no state for frozen weights',
  );
  assert.equal(moments.length, added.length + 2); // + classifier weight and bias
  const loraB = snap.get('param/bert.encoder.layer.0.attention.self.query.lora_B.weight')!;
  assert.ok(
    loraB.data.some((x) => x !== 0),
    'lora_B has trained away from its zero init',
  );

  // killed again inside the full-data phase-2 job's second epoch (a seq_bn adapter), then run to the end
  const killed2 = await cli(['run', config('killed')], () => midEpoch(join(b, PHASE2[0]!)));
  assert.equal(killed2.signal, 'SIGKILL', `not killed:\n${killed2.out}`);
  assert.match(killed2.out, /phase1 sst2\/a seed 1 .*resumed at epoch [23] step \d+/);
  const adapter = readSafetensors(join(b, PHASE2[0]!, SNAPSHOT));
  assert.ok([...adapter.keys()].some((k) => k.startsWith('adam.m/') && k.includes('adapter')));
  const resumed = await cli(['run', config('killed')]);
  assert.equal(resumed.code, 0, resumed.out);
  assert.match(resumed.out, /phase2 sst2\/a full data seed 7 .*resumed at epoch 2 step \d+/);
  const same = (job: string, f: string) =>
    assert.ok(readFileSync(join(a, job, f)).equals(readFileSync(join(b, job, f))), `${job}/${f} differs`);
  for (const job of PHASE1)
    for (const f of ['header.json', 'metrics.jsonl', ...['correct', 'goldProb', 'loss', 'margin'].map(recordFile)])
      same(job, f);
  for (const job of PHASE2) same(job, 'metrics.jsonl');

  // every job finished; job.json holds the parsed options; scores exist; MLflow says how each run was tuned
  for (const job of [...PHASE1, 'sst2/a/scores/all', ...PHASE2]) assert.ok(existsSync(join(b, job, 'done.json')), job);
  const jobJson = JSON.parse(readFileSync(join(b, PHASE1[0]!, 'job.json'), 'utf8')) as { peft: { options: unknown } };
  assert.deepEqual(jobJson.peft.options, {
    lora_alpha: 8,
    lora_dropout: 0,
    method: 'lora',
    r: 4,
    target_modules: ['query', 'value'],
    use_rslora: false,
  });
  const mlruns = join(b, 'mlruns');
  const exp = listExperiments(mlruns).find((e) => e.name === 'peft')!;
  const runs = listRuns(mlruns, exp.id).map((id) => readRun(mlruns, exp.id, id));
  const finished = (job: string) => runs.find((r) => r.tags['mlflow.runName'] === job && r.meta.status === 3)!;
  assert.equal(finished(PHASE1[1]!).tags.tuning, 'lora');
  assert.equal(finished(PHASE1[1]!).params['peft.r'], '4');
  assert.equal(finished(PHASE1[1]!).params['peft.target_modules'], '["query","value"]');
  assert.equal(finished(PHASE2[1]!).tags.tuning, 'seq_bn');
  assert.equal(finished(PHASE2[1]!).params['peft.method'], 'seq_bn');
  assert.equal(finished(PHASE2[1]!).params['peft.reduction_factor'], '16');
  const report = readFileSync(join(b, 'report.md'), 'utf8');
  assert.match(report, /## sst2 · a \(phase 1 lora, phase 2 seq_bn\)/);
  assert.match(report, /tuning: phase 1 LoRA \(peft 0\.5\.0\): r 4, lora_alpha 8, target_modules \["query","value"\]/);
});

const recordFile = (k: string) => RECORD_FILES[k as keyof typeof RECORD_FILES].file;
