// One step of an active-learning curve (al-grid.ts): fine-tune on the labelled set (afresh from the pretrained
// model, or from the previous step's weights with al.reinit: false), evaluate on the dev split, and - after the
// last epoch, on the trained model - score the unlabelled pool and query the next examples with the strategy.
// Beside the training job's usual files the folder gets labelled.json (the labelled set after this step, a subset
// file: the next step trains on it), the training-dynamics record of the labelled examples (forgetting), and the
// per-layer Gram matrices of the CKA probe (the next step compares with them). Resumable like every training job.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { gram, gramCka, type Outputs, strategy } from '@prunelab/active';
import { mulberry32, selectRows, type EncodedSet } from '@prunelab/core';
import { forgetting, readRunRecord } from '@prunelab/dynamics';
import {
  disposeParams,
  loadModel,
  predict,
  readSafetensors,
  writeSafetensors,
  type Model,
  type Prediction,
} from '@prunelab/finetune';
import { readSubset, writeSubset } from '@prunelab/pruning';
import { readIdFile } from './al-config.ts';
import type { Cell } from './cell.ts';
import type { JobEnv } from './env.ts';
import { writeFileAtomic } from './files.ts';
import type { AlStepJob } from './grid.ts';
import { jobInputs } from './mlflow-inputs.ts';
import { dynamicsRecorder, epochEval, type Row } from './phase1.ts';
import { METRIC_TITLES, TASK_META } from './tasks.ts';
import { runTrainingJob, type Outcome } from './train-job.ts';
import { scoreMitigated } from './evaluation.ts';

export interface AlStepResult {
  step: number;
  /** examples trained on at this step */
  labelled: number;
  devAccuracy: number;
  devMetric: number;
  devMetrics: Record<string, number>;
  metric: string;
  /** the training forward passes' accuracy in the last epoch (what the record counts correct) */
  trainAccuracy: number;
  /** ids queried at the end of this step, in the order chosen; null: the last step */
  selected: string[] | null;
  /** the labelled examples during this step's training (libs/dynamics forgetting over its epochs) */
  forgetting: { events: number; forgottenShare: number; neverLearnedShare: number; n: number };
  /** linear CKA per layer of the probe's representations: vs the pretrained model, vs the previous step */
  cka: { layers: string[]; pretrained: number[]; previous: number[] | null } | null;
  seconds: { train: number; score: number; select: number };
  modelSteps?: number;
  /** a mitigated step: the method; devAccuracy/devMetric above are its predictor's */
  mitigation?: Outcome['mitigation'];
}

export const LABELLED_FILE = 'labelled.json';
const GRAMS_FILE = 'probe-grams.f32';
const WEIGHTS_FILE = 'weights.safetensors';

/** The unlabelled pool of a cell: its training ids, or those of al.pool; sorted, so no file order leaks in. */
export function poolIds(cell: Cell, pool: string | null, budget: number): string[] {
  let ids = cell.trainIds;
  if (pool) {
    ids = readIdFile(pool);
    const unknown = ids.find((id) => !cell.rowOf.has(id));
    if (unknown !== undefined)
      throw new Error(
        `${pool}: id ${unknown} is not in the ${cell.task} training set as data: reads it; the pool file and the ` +
          'data settings (train_size, per_class, seed) must agree',
      );
  }
  if (ids.length < budget)
    throw new Error(
      `the ${cell.task} pool holds ${ids.length} examples, fewer than al.budget = ${budget}; raise data.train_size ` +
        '(data.per_class when set) or lower the budget',
    );
  return [...ids].sort();
}

/** Step 0's labelled set: warm_start ids drawn by the curve's seed, the same for every strategy. */
export function warmStart(pool: string[], size: number, seed: number): string[] {
  const rand = mulberry32(seed);
  const order = pool.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order.slice(0, size).map((i) => pool[i]!);
}

/** The seed a step's strategy draws with: the curve's seed and the step, so no two steps share a draw. */
export const stepSeed = (seed: number, step: number) => (Math.imul(seed >>> 0, 1000003) + step) >>> 0;

const outputsOf = (p: Prediction): Outputs => ({
  n: p.n,
  numClasses: p.numClasses,
  probs: p.probs,
  ...(p.features && { embedding: p.features }),
  ...(p.mc && { mc: p.mc }),
});

/** Per-layer representations of the pretrained body on the probe, as Gram matrices: once per model folder. */
const pretrainedGrams = new Map<string, Promise<Float64Array[]>>();

async function gramsOf(model: Model, probe: EncodedSet): Promise<Float64Array[]> {
  const p = await predict(model, probe, { layers: true });
  return p.layers!.map((l) => gram(l.data, probe.n, l.dim));
}

function probeOf(cell: Cell, size: number): EncodedSet {
  const n = Math.min(size, cell.dev.set.n);
  return selectRows(
    cell.dev.set,
    Array.from({ length: n }, (_, i) => i),
  );
}

/** Grams as saved in a step folder: layers x n x n float32. */
function readGrams(file: string, layers: number, n: number): Float64Array[] | null {
  if (!existsSync(file)) return null;
  const buf = readFileSync(file); // a small file's Buffer may sit inside a larger shared one: copy its bytes only
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  if (all.length !== layers * n * n) return null; // another probe size: no comparison
  return Array.from({ length: layers }, (_, l) => Float64Array.from(all.subarray(l * n * n, (l + 1) * n * n)));
}

export async function runAlStep(env: JobEnv, job: AlStepJob): Promise<AlStepResult> {
  const al = job.settings.al!;
  const cell = await env.cell(job);
  const pool = poolIds(cell, al.pool, al.budget);
  const prevDir = job.prev ? join(env.outDir, job.prev) : null;
  const labelledIds = prevDir ? readSubset(join(prevDir, LABELLED_FILE)).ids : warmStart(pool, al.warm_start, job.seed);
  if (labelledIds.length !== job.labelled)
    throw new Error(
      `${prevDir}/${LABELLED_FILE} holds ${labelledIds.length} ids, not the ${job.labelled} this step trains on; ` +
        'delete that step folder to redo it',
    );
  const data = selectRows(
    cell.train,
    labelledIds.map((id) => cell.rowOf.get(id)!),
  );
  const strat = strategy(job.strategy);
  const metricName = TASK_META[job.task].metric;
  const metricTitle = metricName === 'accuracy' ? 'acc' : METRIC_TITLES[metricName];
  const { seeds: _s, strategies: _st, peft: _p, strategy_options: _o, ...alParams } = al;
  let selected: string[] | null = null;
  let cka: AlStepResult['cka'] = null;
  const seconds = { train: 0, score: 0, select: 0 };
  const started = performance.now();
  return runTrainingJob<Row, AlStepResult>(env, {
    job,
    cell,
    settings: al,
    data,
    folder: { labelled: labelledIds.length, pool: pool.length, strategy: job.strategy, step: job.step },
    label: `${job.label} (${labelledIds.length} labelled)`,
    tags: {
      method: `al-${job.strategy}`,
      strategy: job.strategy,
      seed: String(job.seed),
      step: String(job.step),
      labelled: String(labelledIds.length),
    },
    params: {
      task: job.task,
      model: job.model,
      model_path: cell.modelDir,
      strategy: job.strategy,
      strategy_options: job.options,
      seed: job.seed,
      step: job.step,
      labelled: labelledIds.length,
      pool_size: pool.length,
      data: job.settings.data,
      al: alParams,
    },
    inputs: jobInputs(job, cell),
    // continued (reinit: false): the previous step's trained weights replace the pretrained ones
    ...(!al.reinit && prevDir && { init: (model: Model) => loadStepWeights(model, join(prevDir, WEIGHTS_FILE)) }),
    hooks: (dir) => ({
      record: dynamicsRecorder(
        dir,
        cell,
        [],
        {
          version: 1 as const,
          task: job.task,
          split: 'train',
          model: cell.modelDir,
          seed: job.seed,
          run: job.step,
          pass: 'train-forward' as const,
          ids: labelledIds,
          epochsPlanned: al.epochs,
          epochsDone: 0,
          configHash: job.hash,
          build: env.build,
        },
        data,
      ), // the batches' rows index the labelled subset
      evaluate: async (model, e) => {
        if (e.epoch + 1 < al.epochs) return undefined; // the curve's point is the model after the last epoch
        const ev = await epochEval(cell, model, e);
        return { ...ev, metrics: { ...ev.metrics, labelled: labelledIds.length } };
      },
      after: async (model) => {
        seconds.train = (performance.now() - started) / 1000;
        const t0 = performance.now();
        if (job.query > 0) {
          const taken = new Set(labelledIds);
          const unlabelled = pool.filter((id) => !taken.has(id));
          const k = Math.min(job.query, unlabelled.length);
          const needs = strat.needs;
          const seed = stepSeed(job.seed, job.step);
          const poolOut = await predict(
            model,
            selectRows(
              cell.train,
              unlabelled.map((id) => cell.rowOf.get(id)!),
            ),
            { features: !!needs.embedding, ...(needs.mc && { mc: { passes: al.mc_passes, seed } }) },
          );
          const labOut = needs.labelled
            ? outputsOf(await predict(model, data, { features: !!needs.embedding }))
            : { n: data.n, numClasses: poolOut.numClasses, probs: new Float32Array(0) };
          seconds.score = (performance.now() - t0) / 1000;
          const t1 = performance.now();
          const picked = strat.select({
            pool: { ids: unlabelled, out: outputsOf(poolOut) },
            labelled: { ids: labelledIds, out: labOut, labels: data.labels },
            k,
            seed,
            options: job.options,
          });
          selected = Array.from(picked, (i) => unlabelled[i]!);
          seconds.select = (performance.now() - t1) / 1000;
        }
        writeSubset(join(dir, LABELLED_FILE), {
          ids: [...labelledIds, ...(selected ?? [])],
          method: `al-${job.strategy}`,
          params: { step: job.step, seed: job.seed, strategy: job.strategy, trained_on: labelledIds.length },
          source: job.id,
          total: pool.length,
          task: job.task,
          model: job.model,
        });
        if (!al.reinit && job.query > 0) saveStepWeights(model, join(dir, WEIGHTS_FILE));
        if (al.probe_size > 0) cka = await probeCka(cell, model, al.probe_size, dir, prevDir);
      },
      log: (e, ev) => {
        const tail = `train acc ${e.trainAccuracy.toFixed(3)} ${e.examplesPerSecond.toFixed(0)} ex/s`;
        if (!ev) return `epoch ${e.epoch + 1}/${al.epochs} ${tail}`;
        return `epoch ${e.epoch + 1}/${al.epochs} ${tail} dev ${metricTitle} ${ev.row.devMetric.toFixed(3)}`;
      },
      final: (model, run) => scoreMitigated(cell, model, run, cell.dev),
      finish: (epochs, d, outcome) => {
        const row = epochs.at(-1)?.row;
        // a mitigated step reports its predictor's dev numbers (the vote, the averaged weights)
        const fin = outcome.mitigation?.final;
        const last =
          row && fin ? { ...row, devAccuracy: fin.accuracy, devMetric: fin.metric, devMetrics: fin.metrics } : row;
        if (!last) throw new Error(`${job.label}: no evaluation after the last epoch`);
        const rec = readRunRecord(d);
        const f = forgetting([rec.correct]);
        let events = 0;
        let forgotten = 0;
        let never = 0;
        for (let i = 0; i < f.events.length; i++) {
          events += f.events[i]!;
          if (f.events[i]! > 0) forgotten++;
          if (f.neverLearned[i]! > 0) never++;
        }
        const n = f.events.length;
        const result: AlStepResult = {
          step: job.step,
          labelled: labelledIds.length,
          devAccuracy: last.devAccuracy,
          devMetric: last.devMetric,
          devMetrics: last.devMetrics,
          metric: metricName,
          trainAccuracy: last.trainAccuracy,
          selected,
          forgetting: { events: events / n, forgottenShare: forgotten / n, neverLearnedShare: never / n, n },
          cka,
          seconds,
          modelSteps: outcome.modelSteps,
          ...(outcome.mitigation && { mitigation: outcome.mitigation }),
        };
        const note = selected ? `queried ${(selected as string[]).length}` : 'last step';
        return { result, note, artifact: { path: d, under: 'job' } };
      },
    }),
  });
}

/** CKA per layer of the probe: fine-tuned vs pretrained, and vs the previous step (its saved Grams). */
async function probeCka(
  cell: Cell,
  model: Model,
  size: number,
  dir: string,
  prevDir: string | null,
): Promise<NonNullable<AlStepResult['cka']>> {
  const probe = probeOf(cell, size);
  const key = `${cell.modelDir}|${cell.task}|${probe.n}`;
  let before = pretrainedGrams.get(key);
  if (!before) {
    before = (async () => {
      const plain = loadModel(cell.modelDir, { head: 'seqcls', numLabels: cell.numLabels, seed: 0 });
      try {
        return await gramsOf(plain, probe); // the body is the pretrained one: the head is not a layer here
      } finally {
        disposeParams(plain.params);
      }
    })();
    pretrainedGrams.set(key, before);
  }
  const pre = await before;
  const now = await gramsOf(model, probe);
  const n = probe.n;
  const prev = prevDir ? readGrams(join(prevDir, GRAMS_FILE), now.length, n) : null;
  const out = new Float32Array(now.length * n * n);
  now.forEach((g, l) => out.set(g, l * n * n));
  writeFileAtomic(join(dir, GRAMS_FILE), Buffer.from(out.buffer));
  return {
    layers: now.map((_, l) => (l === 0 ? 'embeddings' : `layer ${l}`)),
    pretrained: now.map((g, l) => gramCka(pre[l]!, g, n)),
    previous: prev && now.map((g, l) => gramCka(prev[l]!, g, n)),
  };
}

/** Every parameter of the model (PEFT ones included): what the next step of a continued curve starts from. */
function saveStepWeights(model: Model, file: string): void {
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, v] of model.params) tensors.set(name, { shape: v.shape, data: v.dataSync() as Float32Array });
  writeSafetensors(file, tensors, { format: 'pt', saved_by: 'prunelab al step' });
}

function loadStepWeights(model: Model, file: string): void {
  if (!existsSync(file))
    throw new Error(`${file} is missing: the previous step of this continued curve kept no weights; delete its folder`);
  const saved = readSafetensors(file);
  for (const [name, v] of model.params) {
    const t = saved.get(name);
    if (!t || t.shape.join() !== v.shape.join())
      throw new Error(`${file}: no ${name} of shape [${v.shape}]; delete the previous step's folder to redo it`);
    tf.tidy(() => v.assign(tf.tensor(t.data as Float32Array, t.shape)));
  }
}
