// From phase-1 records to subsets: H-scores (from the first runs_used runs and epochs_used epochs), cartography,
// the H subsets and every baseline at each H subset's size, as subset files with metadata (libs/pruning format).
// Its MLflow run (a child of the grid's) holds the H histogram as metrics (step = H) and the subset files and
// scores.csv as artifacts.
import { join } from 'node:path';
import { hHistogram, hScore, readRunRecord } from '@prunelab/dynamics';
import {
  formatScore,
  idPool,
  scoreColumns,
  scoreOf,
  selectByH,
  selectIds,
  type SelectionContext,
  selectionContext,
  selectionMethod,
  subsetName,
  writeSubset,
} from '@prunelab/pruning';
import { flattenParams } from '@prunelab/tracking';
import { jobTags, type JobEnv } from './env.ts';
import { writeFileAtomic } from './files.ts';
import { methodKey, type ScoresJob } from './grid.ts';
import { finishJob, jobDir, jobLogger, readJson, startJob } from './job-state.ts';
import { jobInputs } from './mlflow-inputs.ts';
import { endFailed, finalRunId, gitCommit, RANDOM_WEIGHTS_TAG, type RunHandle } from './tracking.ts';

export interface ScoresResult {
  R: number;
  E: number;
  total: number;
  histogram: number[];
  /** subset name -> removed H values and size */
  subsets: Record<string, { removed: number[]; size: number }>;
}

export async function runScores(env: JobEnv, job: ScoresJob): Promise<ScoresResult> {
  const cell = await env.cell(job);
  const started = performance.now();
  const dir = startJob(env.outDir, job, { random_weights: cell.randomWeights });
  const log = jobLogger(dir, env.log);
  const mlrun = await env.tracking.tracker.createRun(env.tracking.experimentId, {
    runName: job.id,
    parentRunId: env.parent.runId,
    tags: {
      ...jobTags(env, job, { method: 'scores', variant: job.variant.key }, gitCommit()),
      [RANDOM_WEIGHTS_TAG]: String(cell.randomWeights),
    },
  });
  try {
    const result = await score(env, job, dir, log, mlrun);
    await mlrun.end('FINISHED');
    finishJob(dir, {
      hash: job.hash,
      finishedAt: new Date().toISOString(),
      seconds: (performance.now() - started) / 1000,
      mlflowRunId: finalRunId(mlrun),
      result,
    });
    return result;
  } catch (e) {
    await endFailed(mlrun, log);
    throw e;
  }
}

async function score(
  env: JobEnv,
  job: ScoresJob,
  dir: string,
  log: (line: string) => void,
  mlrun: RunHandle,
): Promise<ScoresResult> {
  const cell = await env.cell(job);
  const recordDirs = job.records.map((id) => join(env.outDir, id));
  const records = recordDirs.map((d) => readRunRecord(d));
  for (const [i, r] of records.entries()) {
    if (r.header.ids.length !== cell.trainIds.length || r.header.ids.some((id, j) => id !== cell.trainIds[j])) {
      throw new Error(
        `${recordDirs[i]}: its example ids differ from the current training set; run \`experiments clean\` on this ` +
          `config to redo phase 1`,
      );
    }
  }
  const { runsUsed: R, epochsUsed: E } = job.variant;
  await mlrun.logParams(
    flattenParams({
      task: job.task,
      model: job.model,
      runs_used: R,
      epochs_used: E,
      records: job.records.join(','),
      subsets: job.subsets.map((r) => subsetName(r, R)).join(','),
      baselines: job.baselines.join(','),
      random_seed: env.cfg.pruning.random_seed,
      ...Object.fromEntries(
        job.baselines.flatMap((b) => {
          const key = methodKey(env.cfg, b);
          return key ? [[`method_options.${b}`, JSON.stringify(key)]] : [];
        }),
      ),
    }),
  );
  // the scores read the training split's records: its dataset is the input
  await mlrun.logInputs(jobInputs(job, cell).filter((d) => d.tags.some((t) => t.value === 'train')));
  const used = records.slice(0, R);
  const correct = used.map((r) => r.correct.slice(0, E));
  const h = hScore(correct);
  const histogram = hHistogram(h, R);
  const ids = cell.trainIds;
  const labels = Array.from(cell.train.labels);
  const seed = env.cfg.pruning.random_seed;
  // every method's scores come from the same used runs and epochs as the H-score, each computed once
  const phase1 = { runs: used, runsUsed: R, epochsUsed: E, numClasses: cell.numClasses };
  const options = env.cfg.pruning.method_options;
  const ctx = selectionContext({ pool: idPool(ids), classes: Int32Array.from(labels), seed, records: phase1, options });
  const labelNames = Object.fromEntries(ids.map((id, i) => [id, cell.data.labels[labels[i]!] ?? String(labels[i])]));
  const source = job.records.join(',');
  const total = ids.length;
  const result: ScoresResult = { R, E, total, histogram, subsets: {} };
  for (const removed of job.subsets) {
    const name = subsetName(removed, R);
    const kept = selectByH(ids, h, removed);
    result.subsets[name] = { removed, size: kept.length };
    if (kept.length === 0) {
      log(
        `${job.label}: subset ${name} is empty (H histogram ${histogram.join('/')}); its phase-2 jobs will fail: ` +
          `train phase 1 longer or drop it`,
      );
    }
    const common = { source, total, labels: labelNames };
    writeSubset(join(dir, 'subsets', `hscore-${name}.json`), {
      ids: kept,
      method: 'hscore',
      params: { removed, R, E, runs_used: R, epochs_used: E, model: job.model },
      ...common,
    });
    for (const b of job.baselines) {
      const picked = selectIds(ctx, selectionMethod(b), kept.length);
      const params = { k: kept.length, matches: `hscore-${name}`, seed };
      writeSubset(join(dir, 'subsets', `${b}-${name}.json`), { ids: picked, method: b, params, ...common });
    }
  }
  writeFileAtomic(join(dir, 'scores.csv'), scoresCsv(ctx, labels, h, job.baselines));
  log(
    `${env.position(job)} ${job.label}: H histogram (H = 0..${R}) ${histogram.join(' / ')}; ` +
      Object.entries(result.subsets)
        .map(([n, s]) => `${n} keeps ${s.size} (${((100 * s.size) / total).toFixed(1)}%)`)
        .join(', '),
  );
  // the H histogram: examples per H value (step = H), as counts and as shares of the training set
  for (const [hValue, count] of histogram.entries()) {
    await mlrun.logMetric('h_count', count, hValue);
    await mlrun.logMetric('h_fraction', count / total, hValue);
  }
  const sizes: Record<string, number> = {};
  for (const [name, sub] of Object.entries(result.subsets)) {
    sizes[`subset_size/${name}`] = sub.size;
    sizes[`subset_fraction/${name}`] = sub.size / total;
  }
  if (Object.keys(sizes).length) await mlrun.logMetrics(sizes);
  await mlrun.logArtifact(join(dir, 'subsets'));
  await mlrun.logArtifact(join(dir, 'scores.csv'));
  return result;
}

/**
 * id, label, h, then every registered score column (scoreColumns: the data map's, then each method's). A costly
 * column (a k-NN graph, k-means) is computed only when one of `methods` ranks by it, else NaN; a column whose
 * record field is missing is NaN.
 */
export function scoresCsv(
  ctx: SelectionContext,
  labels: ArrayLike<number>,
  h: ArrayLike<number>,
  methods: readonly string[] = [],
): string {
  const columns = scoreColumns();
  const wanted = new Set(methods.flatMap((m) => selectionMethod(m).columns.map((c) => c.name)));
  const n = ctx.pool.ids.length;
  const values = columns.map((c) =>
    c.costly && !wanted.has(c.name) ? new Float32Array(n).fill(Number.NaN) : scoreOf(ctx, c),
  );
  const ids = ctx.pool.ids;
  return (
    ['id,label,h', ...columns.map((c) => c.name)].join(',') +
    '\n' +
    ids
      .map((id, i) => [id, labels[i], h[i], ...columns.map((c, j) => formatScore(c, values[j]![i]!))].join(','))
      .join('\n') +
    '\n'
  );
}

/** A finished scores job's summary, for reports and cost estimates. */
export function readScores(outDir: string, job: ScoresJob): ScoresResult | undefined {
  const d = readJson<{ hash: string; result: ScoresResult }>(join(jobDir(outDir, job), 'done.json'));
  return d?.hash === job.hash ? d.result : undefined;
}
