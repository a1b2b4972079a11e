// One training job, phase 1 or phase 2: its folder, MLflow run, model, resumable training loop and per-epoch
// bookkeeping; what differs between the phases is a small hooks object (record, evaluate, log, finish).
// Per epoch the folder gets a metrics.jsonl row (deterministic values only) and a timing.jsonl row (seconds,
// examples/s). A killed job resumes from the snapshot libs/finetune's train() keeps in the folder: whatever was
// written after it is cut off and recomputed, so records and metrics.jsonl match an uninterrupted run byte for
// byte. MLflow: a resumed job gets a new run tagged resumed_from_run (the killed one), with every epoch's metrics.
import { copyFileSync, existsSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import {
  attachPeft,
  disposeParams,
  loadModel,
  mergePeft,
  mitigatedOptions,
  prefixStep,
  runSchedule,
  saveModel,
  startMitigation,
  train,
  trainableNames,
  trainStateFile,
  type BatchReport,
  type CallerState,
  type EncodedSet,
  type EpochSummary,
  type MitigationRun,
  type Model,
  type TrainOptions,
} from '@prunelab/finetune';
import { flattenParams, type DatasetInput } from '@prunelab/tracking';
import type { Cell } from './cell.ts';
import { jobTags, type JobEnv } from './env.ts';
import { appendText, writeError } from './files.ts';
import type { AlStepJob, Phase1Job, Phase2Job } from './grid.ts';
import {
  appendMetrics,
  FINAL_WEIGHTS,
  finishJob,
  jobLogger,
  readJson,
  startJob,
  writeJsonAtomic,
} from './job-state.ts';
import { tuningLabel, tuningWords } from './peft.ts';
import { progress } from './progress.ts';
import type { TrainingCfg } from './schema.ts';
import { recordThroughput, throughputKey } from './throughput.ts';
import { endFailed, finalRunId, gitCommit, RANDOM_WEIGHTS_TAG, serverIdOf } from './tracking.ts';

/** The snapshot's name inside a job folder. */
export const SNAPSHOT = trainStateFile('.');

/** What a job's evaluation after an epoch gives: the metrics.jsonl row (no timings) and MLflow metrics. */
export interface EpochEval<Row> {
  row: Row;
  metrics: Record<string, number>;
}

/** One finished epoch as the job keeps it (and done.json's result is built from). */
export interface EpochDone<Row> {
  epoch: number;
  row?: Row;
  metrics: Record<string, number>;
  seconds: number;
  examplesPerSecond: number;
}

/** Per-batch recording with its own files (phase 1: training dynamics), able to snapshot and restore itself. */
export interface RecordHook {
  /** onBatch needs BatchReport.features (the classifier's input; train()'s `features` option) */
  features?: boolean;
  onBatch(b: BatchReport): void;
  /** the epoch is over: write it */
  onEpochEnd(epoch: number): void;
  save(): CallerState;
  /** back to the state save() gave, cutting off whatever was written after it */
  restore(s: CallerState): void;
}

export interface TrainingHooks<Row, R> {
  record?: RecordHook;
  /** after each epoch; undefined: no evaluation this epoch (phase2.eval: last) */
  evaluate(model: Model, e: EpochSummary): Promise<EpochEval<Row> | undefined>;
  /**
   * After the last epoch, before finish: work on the trained model whose outputs finish reports (an AL step scores
   * its pool here). A kill during it redoes it: the last snapshot is at the end of training.
   */
  after?(model: Model): Promise<void>;
  /** the epoch's line for the progress bar and log.txt, if any */
  log(e: EpochSummary, ev: EpochEval<Row> | undefined): string | undefined;
  /** a mitigated job, after training and the method's finish: the predictor's evaluation (a vote, averaged weights) */
  final?(model: Model, run: MitigationRun): Promise<FinalEval>;
  /** the job's result and closing note once every epoch is done; `artifact`: what the MLflow run keeps */
  finish(epochs: EpochDone<Row>[], dir: string, outcome: Outcome): JobEnd<R>;
}

/** The mitigated predictor's evaluation (phase 2's result replaces its last-epoch numbers with it). */
export interface FinalEval {
  metric: number;
  metrics: Record<string, number>;
  accuracy: number;
  loss: number;
  predCounts?: number[];
}

/** What every training job reports besides its phase's result. */
export interface Outcome {
  /** model-steps: the main model's optimizer steps plus every copy's and member's */
  modelSteps: number;
  mitigation?: {
    label: string;
    method: string;
    options: Record<string, number>;
    /** models voting (1: a single model predicts) */
    models: number;
    /** the none run whose snapshot this job started from, and at which step; absent: trained from the start */
    prefixFrom?: { job: string; step: number };
    final?: FinalEval;
  };
}

/** The snapshot a none run keeps for the mitigated runs that start from it. */
export const prefixFile = (step: number): string => `prefix-${step}.safetensors`;

/** In a job folder while it trains: the none run whose snapshot the job took ({job, step}), written before the copy
 * (the copy carries the none run's job state, so a job killed before its own first snapshot knows it from this). */
export const PREFIX_FROM = 'prefix-from.json';

export interface JobEnd<R> {
  result: R;
  note: string;
  artifact: { path: string; under?: string };
}

export interface TrainingJob<Row, R> {
  job: Phase1Job | Phase2Job | AlStepJob;
  cell: Cell;
  settings: TrainingCfg;
  data: EncodedSet;
  /** extra job.json fields */
  folder: Record<string, unknown>;
  /** the progress bar's label after the position */
  label: string;
  tags: Record<string, string>;
  params: Record<string, unknown>;
  /** what the job reads, as MLflow dataset inputs (mlflow-inputs.ts) */
  inputs: DatasetInput[];
  /** the starting weights replaced after the model (and its PEFT parameters) exist: an AL step that continues */
  init?(model: Model): void;
  /** the phase's hooks, made once the folder and the model exist */
  hooks(dir: string, model: Model): TrainingHooks<Row, R>;
}

/** The job's side of a snapshot. */
interface JobState<Row> {
  mlflowRunId: string;
  /** forward passes so far (the progress bar) */
  passes: number;
  /** sizes of metrics.jsonl and timing.jsonl */
  metricsBytes: number;
  timingBytes: number;
  epochs: EpochDone<Row>[];
  record?: unknown;
  mitigation?: unknown;
  /** the none run whose snapshot the job started from (the result's mitigation.prefixFrom after a resume) */
  prefixFrom?: { job: string; step: number };
}

const size = (file: string) => (existsSync(file) ? statSync(file).size : 0);
const cut = (file: string, bytes: number) => existsSync(file) && truncateSync(file, bytes);

export async function runTrainingJob<Row extends object, R>(env: JobEnv, t: TrainingJob<Row, R>): Promise<R> {
  const { job, cell, settings: s } = t;
  const started = performance.now();
  const dir = startJob(
    env.outDir,
    job,
    { ...t.folder, build: env.build, random_weights: cell.randomWeights },
    SNAPSHOT,
  );
  const log = jobLogger(dir, () => {}); // epoch lines reach stdout through the progress line
  const metricsFile = join(dir, 'metrics.jsonl');
  const timingFile = join(dir, 'timing.jsonl');
  const mlrun = await env.tracking.tracker.createRun(env.tracking.experimentId, {
    runName: job.id,
    parentRunId: env.parent.runId,
    tags: {
      ...jobTags(env, job, t.tags, gitCommit()),
      [RANDOM_WEIGHTS_TAG]: String(cell.randomWeights),
      // full fine-tuning or the PEFT method: a LoRA run is never mistaken for a full one
      tuning: tuningLabel(job.peft?.spec),
    },
  });
  let model: Model;
  let hooks: TrainingHooks<Row, R>;
  const mit = job.mitigation;
  // the model of a seed: pretrained weights, head (and PEFT parameters) initialised from the seed
  const load = (seed: number) =>
    loadModel(cell.modelDir, {
      head: cell.head,
      ...(cell.head === 'seqcls' && { numLabels: cell.numLabels }),
      seed,
    });
  try {
    await mlrun.logParams(
      flattenParams({
        ...t.params,
        peft: job.peft?.options ?? 'none',
        ...(mit && { mitigation: { method: mit.spec.method, ...mit.spec.options } }),
      }),
    );
    await mlrun.logInputs(t.inputs);
    model = load(job.seed);
  } catch (e) {
    await endFailed(mlrun, log); // a job that fails before training is FAILED too, not RUNNING (later: KILLED)
    throw e;
  }
  try {
    // under PEFT the method's parameters are added (seeded like the head) and everything else is frozen
    if (job.peft) {
      attachPeft(model, job.peft.spec, job.seed, job.peft.key);
      const count = (names: string[]) => names.reduce((a, n) => a + model.params.get(n)!.size, 0);
      const trainable = count(trainableNames(model));
      const all = count([...model.params.keys()]);
      const line =
        `${job.label}: ${tuningWords(job.peft.spec)} (every option in job.json); ` +
        `${trainable.toLocaleString('en-US')} of ${all.toLocaleString('en-US')} parameters train (the added ones ` +
        'and the task head)';
      log(line);
      env.log(line);
    }
    t.init?.(model);
    hooks = t.hooks(dir, model);
  } catch (e) {
    await endFailed(mlrun, log);
    disposeParams(model.params);
    throw e;
  }
  const base: TrainOptions = {
    epochs: s.epochs,
    batchSize: s.batch_size,
    gradientAccumulationSteps: s.grad_accum,
    lr: s.lr,
    warmupSteps: s.warmup_steps,
    weightDecay: s.weight_decay,
    seed: job.seed,
  };
  const opts = mit ? mitigatedOptions(mit.spec, t.data.n, base) : base;
  let run: MitigationRun | undefined;
  // a mitigated job that shares its first steps with a none run of the grid starts from that run's kept snapshot
  let adopted: { job: string; step: number } | undefined;
  // where the job started, kept in its snapshots: a resumed job still reports it
  let startedFrom: { job: string; step: number } | undefined;
  try {
    if (mit) {
      const fresh = (seed: number) => {
        const m = load(seed);
        if (job.peft) attachPeft(m, job.peft.spec, seed, job.peft.key);
        return m;
      };
      run = startMitigation(mit.spec, model, t.data, opts, { fresh, dir });
      const step = prefixStep(mit.spec, t.data.n, base);
      const kept = job.prefixFrom && join(env.outDir, job.prefixFrom, prefixFile(step));
      if (kept && step > 0 && !existsSync(join(dir, SNAPSHOT)) && existsSync(kept)) {
        writeJsonAtomic(join(dir, PREFIX_FROM), { job: job.prefixFrom!, step });
        copyFileSync(kept, join(dir, SNAPSHOT));
        // its epochs' rows come along; the restore below cuts them to what the snapshot had written
        for (const f of ['metrics.jsonl', 'timing.jsonl']) {
          const from = join(env.outDir, job.prefixFrom!, f);
          if (existsSync(from)) copyFileSync(from, join(dir, f));
        }
        adopted = { job: job.prefixFrom!, step };
      }
    }
  } catch (e) {
    await endFailed(mlrun, log);
    run?.dispose();
    disposeParams(model.params);
    throw e;
  }
  const keepSteps = [...new Set((job.keepFor ?? []).map((m) => prefixStep(m, t.data.n, base)))].filter((x) => x > 0);
  const passesPlanned = Math.ceil(t.data.n / s.batch_size) * opts.epochs;
  const bar = progress(`${env.position(job)} ${t.label}`, passesPlanned, (x) => env.out(x));
  let passes = 0;
  let epochs: EpochDone<Row>[] = [];
  const speedKey = throughputKey(cell.modelDir, job.settings.data.max_length, env.backend, job.peft?.spec.method);
  try {
    await train(model, t.data, {
      ...opts,
      ...(run && { hooks: run }),
      ...(hooks.record?.features && { features: true }),
      onBatch: (b) => {
        hooks.record?.onBatch(b);
        bar.tick(++passes);
      },
      onEpochEnd: async (e) => {
        hooks.record?.onEpochEnd(e.epoch);
        const ev = await hooks.evaluate(model, e);
        if (ev) appendMetrics(dir, ev.row as Record<string, unknown>);
        const timing = { epoch: e.epoch + 1, seconds: e.seconds, examplesPerSecond: e.examplesPerSecond };
        appendText(timingFile, JSON.stringify(timing) + '\n');
        const metrics = { train_loss: e.loss, examples_per_second: e.examplesPerSecond, ...ev?.metrics };
        epochs.push({ ...timing, ...(ev && { row: ev.row }), metrics });
        recordThroughput(speedKey, e.examplesPerSecond);
        await mlrun.logMetrics(metrics, e.epoch + 1);
        const note = hooks.log(e, ev);
        if (note) {
          bar.tick(passes, note);
          log(`${job.label}: ${note}`);
        }
      },
      checkpoint: {
        dir,
        everySteps: s.checkpoint_every,
        ...(keepSteps.length && { keepAt: { steps: keepSteps, file: (step: number) => join(dir, prefixFile(step)) } }),
        save: () => {
          const rec = hooks.record?.save();
          const ms = run?.save();
          const json: JobState<Row> = {
            mlflowRunId: mlrun.runId,
            passes,
            metricsBytes: size(metricsFile),
            timingBytes: size(timingFile),
            epochs,
            record: rec?.json,
            ...(ms?.json !== undefined && { mitigation: ms.json }),
            ...(startedFrom && { prefixFrom: startedFrom }),
          };
          const arrays = new Map([...(rec?.arrays ?? []), ...(ms?.arrays ?? [])]);
          return { json, ...(arrays.size && { arrays }) };
        },
        restore: async (snap, at) => {
          const saved = snap.json as JobState<Row>;
          // the job's snapshot is still the none run's copy (killed before a snapshot of its own): start from it again
          const copied = !adopted && !saved.prefixFrom && readJson<typeof adopted>(join(dir, PREFIX_FROM));
          if (copied) adopted = copied;
          startedFrom = adopted ?? saved.prefixFrom;
          cut(metricsFile, saved.metricsBytes);
          cut(timingFile, saved.timingBytes);
          hooks.record?.restore({ json: saved.record, ...(snap.arrays && { arrays: snap.arrays }) });
          // a none run's snapshot holds none of the method's state: the method starts at this step
          run?.restore(adopted ? undefined : { json: saved.mitigation, arrays: snap.arrays }, at.step);
          passes = saved.passes;
          epochs = saved.epochs;
          // a new MLflow run (the killed one is marked KILLED at start-up) that holds the whole job's metrics
          await mlrun.setTags({
            ...(startedFrom && {
              'prunelab.prefix_from': startedFrom.job,
              'prunelab.prefix_step': String(startedFrom.step),
            }),
            ...(!adopted && {
              resumed_from_run: serverIdOf(env.outDir, saved.mlflowRunId),
              resumed_at_epoch: String(at.epoch + 1),
              resumed_at_step: String(at.step),
            }),
          });
          for (const d of epochs) await mlrun.logMetrics(d.metrics, d.epoch);
          const where = `epoch ${at.epoch + 1}, step ${at.step} (${at.position} into the epoch)`;
          const from = adopted ? `the none run ${adopted.job}'s snapshot` : join(dir, SNAPSHOT);
          log(`${job.label}: ${adopted ? 'started' : 'resumed'} at ${where} from ${from}`);
          const point = at.epoch >= opts.epochs ? 'the end of training' : `epoch ${at.epoch + 1} step ${at.step}`;
          bar.tick(passes, `${adopted ? "started from the none run's snapshot" : 'resumed'} at ${point}`);
        },
      },
    });
    let final: FinalEval | undefined;
    if (run) {
      await run.finish();
      final = await hooks.final?.(model, run);
      if (final)
        await mlrun.logMetrics(prefixed('final_', { ...final.metrics, accuracy: final.accuracy }), opts.epochs);
    }
    const modelSteps = runSchedule(t.data.n, opts).totalSteps + (run?.extraSteps() ?? 0);
    await mlrun.logMetrics({ model_steps: modelSteps }, opts.epochs);
    await hooks.after?.(model);
    if (job.keepWeights) await keepFinalWeights(dir, model, job.peft !== null, log);
    const outcome: Outcome = {
      modelSteps,
      ...(mit && {
        mitigation: {
          label: mit.label,
          method: mit.spec.method,
          options: mit.spec.options,
          models: 1 + (run?.members() ?? 0),
          ...(startedFrom && { prefixFrom: startedFrom }),
          ...(final && { final }),
        },
      }),
    };
    const end = hooks.finish(epochs, dir, outcome);
    // removed before the folder goes to MLflow; a kill from here on redoes the job
    rmSync(join(dir, SNAPSHOT), { force: true });
    rmSync(join(dir, PREFIX_FROM), { force: true });
    await mlrun.logArtifact(end.artifact.path, end.artifact.under);
    await mlrun.end('FINISHED');
    const seconds = (performance.now() - started) / 1000;
    const finishedAt = new Date().toISOString();
    finishJob(dir, {
      hash: job.hash,
      finishedAt,
      seconds,
      mlflowRunId: finalRunId(mlrun),
      result: end.result,
      build: env.build,
      data: job.data, // what the job read (data-digest.ts): the report shows it, status compares it
      weights: job.weights,
      modelSteps,
    });
    if (mit && job.prefixFrom) dropKeptSnapshot(env.outDir, job, t.data.n, base);
    bar.end(end.note);
    return end.result;
  } catch (e) {
    await endFailed(mlrun, log);
    throw e;
  } finally {
    run?.dispose();
    disposeParams(model.params);
  }
}

/**
 * The fine-tuned model as a Hugging Face folder (config.json + model.safetensors; a PEFT method merged into the base
 * weights first: a graft reads full weights). Written before done.json; the last thing the model is used for.
 */
async function keepFinalWeights(dir: string, model: Model, peft: boolean, log: (l: string) => void): Promise<void> {
  if (peft) mergePeft(model);
  const out = join(dir, FINAL_WEIGHTS);
  try {
    await saveModel(out, model.config, model.params, model.head ?? 'seqcls');
  } catch (e) {
    throw writeError(e, out);
  }
  log(`kept the final weights in ${out}${peft ? ' (the PEFT method merged into the base weights)' : ''}`);
}

/**
 * The none run's kept snapshot at this job's prefix step, once every job that starts from it has finished: removed
 * (a peer redone later trains the shared steps itself, with the same result).
 */
function dropKeptSnapshot(
  outDir: string,
  job: TrainingJob<object, unknown>['job'],
  n: number,
  base: TrainOptions,
): void {
  const step = prefixStep(job.mitigation!.spec, n, base);
  const same = (job.prefixPeers ?? []).filter((p) => prefixStep(p.spec, n, base) === step);
  if (same.every((p) => existsSync(join(outDir, p.id, 'done.json'))))
    rmSync(join(outDir, job.prefixFrom!, prefixFile(step)), { force: true });
}

const prefixed = (p: string, m: Record<string, number>) =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [`${p}${k}`, v]));
