// Phase 1: fine-tune on the full training set once per seed, recording for every example, at every epoch, what
// the training forward pass made of it (method.md section 1). Records are appended epoch by epoch; a killed run
// resumes from its last snapshot with the half-recorded epoch restored (train-job.ts), a finished one is reused.
import { appendEpoch, EpochRecorder, truncateRecord, type BatchStats, type RunRecordHeader } from '@prunelab/dynamics';
import type { CallerState, EncodedSet, EpochSummary, Model } from '@prunelab/finetune';
import type { Cell } from './cell.ts';
import { collapseOf, collapseText } from './collapse.ts';
import { recordProblem } from './config.ts';
import { batchDynamics, needsFeatures } from './dynamics.ts';
import { jobInputs } from './mlflow-inputs.ts';
import type { JobEnv } from './env.ts';
import { scoreEval, scoreMitigated } from './evaluation.ts';
import type { Phase1Job } from './grid.ts';
import type { RecordField } from './schema.ts';
import { METRIC_TITLES, TASK_META } from './tasks.ts';
import { runTrainingJob, type EpochEval, type Outcome, type RecordHook } from './train-job.ts';

/** devAccuracy: the share the H-score would count correct (QA: exact match); devMetric: the task's main metric */
export interface Phase1Result {
  epochs: {
    epoch: number;
    trainLoss: number;
    trainAccuracy: number;
    devAccuracy: number;
    devMetric: number;
    devMetrics: Record<string, number>;
    devLoss: number;
    /** classification: predictions per class on the evaluation split (collapse.ts) */
    predCounts?: number[];
    seconds: number;
    examplesPerSecond: number;
  }[];
  modelSteps?: number;
  /** a mitigated score run: the method and its predictor's dev numbers (the record is the main model's) */
  mitigation?: Outcome['mitigation'];
}

/** A metrics.jsonl row of phase 1 and of an AL step (timings go to timing.jsonl). */
export type Row = Omit<Phase1Result['epochs'][number], 'seconds' | 'examplesPerSecond'>;

export async function runPhase1(env: JobEnv, job: Phase1Job): Promise<Phase1Result> {
  const p1 = job.settings.phase1;
  const { seeds: _seeds, peft: _peft, ...p1NoSeeds } = p1; // peft: logged parsed (train-job.ts)
  const cell = await env.cell(job);
  const metricName = TASK_META[job.task].metric;
  return runTrainingJob<Row, Phase1Result>(env, {
    job,
    cell,
    settings: p1,
    data: cell.train,
    folder: { trainSize: cell.train.n },
    label: job.label,
    tags: { method: 'full', subset: 'full', seed: String(job.seed) },
    params: {
      task: job.task,
      model: job.model,
      model_path: cell.modelDir,
      seed: job.seed,
      train_size: cell.train.n,
      data: job.settings.data,
      phase1: p1NoSeeds,
    },
    inputs: jobInputs(job, cell),
    hooks: (dir) => ({
      record: dynamicsRecorder(dir, cell, p1.record, {
        version: 1 as const,
        task: job.task,
        split: 'train',
        model: cell.modelDir,
        seed: job.seed,
        run: job.run,
        pass: 'train-forward' as const,
        ids: cell.trainIds,
        epochsPlanned: p1.epochs,
        epochsDone: 0,
        configHash: job.hash,
        build: env.build,
      }),
      evaluate: (model, e) => epochEval(cell, model, e),
      log: (e, ev) => {
        const dev = ev!.row;
        const acc = `acc ${dev.devAccuracy.toFixed(3)}`;
        const main = `${METRIC_TITLES[metricName]} ${dev.devMetric.toFixed(3)}`;
        const devNote = metricName === 'accuracy' ? `dev ${acc}` : `dev ${main} (${acc})`;
        const train = `train acc ${e.trainAccuracy.toFixed(3)}`;
        return `epoch ${e.epoch + 1}/${p1.epochs} ${train} ${devNote} ${e.examplesPerSecond.toFixed(0)} ex/s`;
      },
      final: (model, run) => scoreMitigated(cell, model, run, cell.dev),
      finish: (epochs, d, outcome) => {
        // a score run whose model predicts one class learned nothing to count: its H-scores are noise
        const collapse = collapseOf(epochs.at(-1)?.row?.predCounts);
        return {
          result: {
            epochs: epochs.map((x) => ({ ...x.row!, seconds: x.seconds, examplesPerSecond: x.examplesPerSecond })),
            modelSteps: outcome.modelSteps,
            ...(outcome.mitigation && { mitigation: outcome.mitigation }),
          },
          note: collapse ? `DEGENERATE: ${collapseText(collapse, cell.data.labels)} on ${cell.data.evalSplit}` : '',
          artifact: { path: d, under: 'job' },
        };
      },
    }),
  });
}

/** The dev split after an epoch: the metrics.jsonl row and the MLflow metrics (phase 1 and the AL steps). */
export async function epochEval(cell: Cell, model: Model, e: EpochSummary): Promise<EpochEval<Row>> {
  const dev = await scoreEval(cell, model, cell.dev);
  const row: Row = {
    epoch: e.epoch + 1,
    trainLoss: e.loss,
    trainAccuracy: e.trainAccuracy,
    devAccuracy: dev.accuracy,
    devMetric: dev.metric,
    devMetrics: dev.metrics,
    devLoss: dev.loss,
    ...(dev.predCounts && { predCounts: dev.predCounts }),
  };
  const devMetrics = Object.fromEntries(Object.entries(dev.metrics).map(([k, v]) => [`dev_${k}`, v]));
  const metrics = { train_accuracy: e.trainAccuracy, dev_accuracy: dev.accuracy, dev_loss: dev.loss };
  return { row, metrics: { ...metrics, ...devMetrics } };
}

const FIELDS = ['correct', 'goldProb', 'loss', 'margin', 'el2n'] as const;

/**
 * The training-dynamics record of one run (record files in the job folder, libs/dynamics format), with the opt-in
 * fields of phase1.record. Snapshots carry the epochs on disk and the current epoch's batches so far (the opt-in
 * fields too); restoring cuts the files back to those epochs.
 */
export function dynamicsRecorder(
  dir: string,
  cell: Cell,
  record: readonly RecordField[],
  header: RunRecordHeader & { configHash: string },
  data: EncodedSet = cell.train,
): RecordHook {
  const problem = recordProblem(cell.task, record);
  if (problem) throw new Error(`phase1.record ${problem}`); // config.ts says so first, with the file and line
  let recorder = new EpochRecorder(header.ids);
  let batches: { rows: Int32Array; s: BatchStats }[] = [];
  // the snapshot's arrays: the four always kept, el2n, and the opt-in fields asked for
  const fields = [...FIELDS, ...record];
  return {
    features: needsFeatures(record),
    onBatch: (b) => {
      const s = batchDynamics(cell, b, record, data);
      recorder.addRows(b.rows, s); // record ids are the training rows' ids in row order
      batches.push({ rows: Int32Array.from(b.rows), s });
    },
    onEpochEnd: () => {
      appendEpoch(dir, header, recorder.finish());
      header.epochsDone++;
      recorder = new EpochRecorder(header.ids);
      batches = [];
    },
    save: (): CallerState => {
      const n = batches.reduce((a, b) => a + b.rows.length, 0);
      const arrays = new Map<string, { shape: number[]; data: Int32Array | Float32Array }>();
      type Get = (b: (typeof batches)[number]) => ArrayLike<number>;
      const join = <T extends Int32Array | Float32Array>(make: (n: number) => T, get: Get) => {
        const out = make(n);
        let o = 0;
        for (const b of batches) {
          const a = get(b);
          out.set(a, o);
          o += a.length;
        }
        return { shape: [out.length], data: out };
      };
      arrays.set(
        'rows',
        join(
          (k) => new Int32Array(k),
          (b) => b.rows,
        ),
      );
      for (const f of fields) {
        const width = batches.length ? batches[0]!.s[f]!.length / batches[0]!.rows.length : 1; // probs, embedding: > 1
        arrays.set(
          f,
          join(
            (k) => new Float32Array(k * width),
            (b) => b.s[f]!,
          ),
        ); // correct: 0/1 as floats
      }
      return { json: { epochsDone: header.epochsDone }, arrays };
    },
    restore: (snap) => {
      header.epochsDone = (snap.json as { epochsDone: number }).epochsDone;
      truncateRecord(dir, header.epochsDone);
      recorder = new EpochRecorder(header.ids);
      batches = [];
      const rows = snap.arrays?.get('rows')?.data as Int32Array | undefined;
      if (!rows?.length) return;
      const get = (f: (typeof fields)[number]) => {
        const a = snap.arrays!.get(f);
        if (!a)
          throw new Error(
            `${dir}: the snapshot holds no ${f} for the half-done epoch; it was saved with other phase1.record ` +
              `settings (delete the job folder to start over)`,
          );
        return a.data as Float32Array;
      };
      const s: BatchStats = {
        correct: Uint8Array.from(get('correct')),
        goldProb: get('goldProb'),
        loss: get('loss'),
        margin: get('margin'),
        el2n: get('el2n'),
        ...Object.fromEntries(record.map((f) => [f, get(f)])),
      };
      recorder.addRows(rows, s);
      batches.push({ rows, s });
    },
  };
}
