// One `run`: the grid's jobs in dependency order (phase 1 -> scores -> phase 2), finished ones skipped by hash,
// training jobs through a p-limit queue, every job logged to MLflow under one parent run per grid (found again by
// the grid's hash when the grid is resumed), then the report.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import pLimit from 'p-limit';
import { buildTags, chooseBackend, describeBuild, type NumericBuild, numericBuild } from '@prunelab/finetune';
import { flattenParams, paramString, RestStore, type ParamValue } from '@prunelab/tracking';
import { prepareCell, type Cell } from './cell.ts';
import type { JobEnv } from './env.ts';
import { ensureDir, explainFsError, insideResults, writeFileAtomic } from './files.ts';
import { expandGrid, hash, type Grid, type Job } from './grid.ts';
import { alive, failJob, jobDir, jobStatus, writeJsonAtomic } from './job-state.ts';
import { ensureModel, hasRandomWeights, randomWeightsLine } from './models.ts';
import { runPhase1 } from './phase1.ts';
import { runPhase2 } from './phase2.ts';
import { checkBuilds, describeBuildCheck } from './provenance.ts';
import { writeReport, type ReportFiles } from './report.ts';
import type { ExperimentConfig } from './schema.ts';
import { runScores } from './scores.ts';
import { runAlStep } from './al-step.ts';
import { runGraft } from './graft-job.ts';
import {
  endFailed,
  GRID_HASH_TAG,
  gitCommit,
  markStaleRunsKilled,
  openTracking,
  pushJournal,
  RANDOM_WEIGHTS_TAG,
  resolveDoneRunIds,
  type RunHandle,
  type Tracking,
} from './tracking.ts';
import { summaryMetrics } from './report-metrics.ts';
import { readModelWeights, weightLines } from './weights.ts';
import { dataKey, dataLines, readDataStates, type DataStates } from './data-digest.ts';
import { staleReason } from './stale.ts';

export interface RunOptions {
  log?: (line: string) => void;
  out?: (text: string) => void;
}

export interface RunOutcome extends ReportFiles {
  outDir: string;
  mlruns: string;
  ran: string[];
  skipped: string[];
  failed: string[];
  blocked: string[];
}

/** results/<name>: strictly inside the results root (output.dir), whatever `name` holds. */
export const outDirOf = (cfg: ExperimentConfig) => insideResults(resolve(cfg.output.dir), cfg.name);

/** Training jobs at once: 1 on CPU (TF.js already uses the cores), on a GPU as many as memory allows at ~4 GB each. */
export function autoConcurrency(backend: string, requested: number): number {
  if (requested > 0) return requested;
  if (backend !== 'tensorflow-gpu') return 1; // webgpu too: one device queue per process
  return Math.max(1, Math.min(availableParallelism(), Math.floor(totalmem() / 4e9)));
}

/** One process per results folder: the lock makes "RUNNING in MLflow but no process" mean "killed". */
function lock(outDir: string): () => void {
  const file = join(outDir, '.lock');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8'));
    if (pid !== process.pid && Number.isInteger(pid) && alive(pid)) {
      throw new Error(
        `${outDir} is in use by process ${pid} (another run of this config); wait for it or stop it first`,
      );
    }
  }
  writeFileAtomic(file, String(process.pid));
  return () => rmSync(file, { force: true });
}

/** What a run (in-process, or a queue coordinator) sets up before any job: backend, build, models, data, the grid. */
export interface Prepared {
  outDir: string;
  backend: string;
  build: NumericBuild;
  randomModels: string[];
  data: DataStates;
  grid: Grid;
  check: ReturnType<typeof checkBuilds>;
}

/** Backend and build lines, model folders made, data read, the grid expanded; config.json and grid.json written. */
export async function prepareRun(cfg: ExperimentConfig, log: (line: string) => void): Promise<Prepared> {
  const backend = await chooseBackend(cfg.run.backend);
  log(
    `backend: ${backend.name}${backend.device ? ` on ${backend.device}` : ''} ` +
      `(tried ${backend.tried.map((t) => `${t.name}${t.ok ? '' : ' (unavailable)'}`).join(', ')})`,
  );
  const build = numericBuild();
  log(`numeric build: ${describeBuild(build)}`);
  const outDir = outDirOf(cfg);
  ensureDir(outDir);
  // Every model folder exists before the grid is expanded, so every job's key holds real weights.
  const randomModels: string[] = [];
  for (const [name, m] of Object.entries(cfg.models)) {
    const dir = await ensureModel(name, m, log);
    if (hasRandomWeights(dir)) {
      randomModels.push(name);
      log(randomWeightsLine(name, dir));
    }
  }
  const weights = readModelWeights(cfg);
  // and the data is read (downloaded when allowed), so every job's key holds its data digest
  const data = await readDataStates(cfg, { download: true, log });
  const grid = expandGrid(cfg, weights, data);
  for (const l of [...weightLines(cfg, weights), ...dataLines(cfg, data)]) log(l);
  const check = checkBuilds(outDir, grid, build, cfg.run.numeric_build);
  for (const l of describeBuildCheck(check)) log(l);
  writeJsonAtomic(join(outDir, 'config.json'), cfg);
  writeJsonAtomic(join(outDir, 'grid.json'), gridJson(grid));
  return { outDir, backend: backend.name, build, randomModels, data, grid, check };
}

const gridJson = (grid: Grid) => grid.jobs.map((j) => ({ id: j.id, kind: j.kind, hash: j.hash, deps: j.deps }));

/**
 * The grid's MLflow parent run, every job's run under it: one per grid. The grid's hash (grid.json's content) is
 * its tag, so a resumed grid, a rerun with nothing to do, or another coordinator continues the same parent
 * (RUNNING again until this run ends) instead of adding one; a server that does not answer now gets a new parent
 * in the journal. A server that takes no artifacts is found out here, before any training. The config's params not
 * yet on the run are logged.
 */
export async function createGridRun(
  cfg: ExperimentConfig,
  p: Prepared,
  tracking: Tracking,
  log: (l: string) => void,
): Promise<RunHandle> {
  const tags = {
    grid: cfg.name,
    tasks: cfg.tasks.join(','),
    models: Object.keys(cfg.models).join(','),
    ...buildTags(p.build),
    backend: p.backend,
    git_commit: gitCommit(),
    'mlflow.source.git.commit': gitCommit(),
    [RANDOM_WEIGHTS_TAG]: String(p.randomModels.length > 0),
    ...(p.randomModels.length && { 'prunelab.random_weights_models': p.randomModels.join(',') }),
  };
  const gridHash = hash(gridJson(p.grid));
  const found = await tracking.tracker.resumeRun(tracking.experimentId, GRID_HASH_TAG, gridHash);
  let parent: RunHandle;
  let have: Record<string, string> = {};
  if (found) {
    log(`mlflow: continuing the grid's run ${found.run.runId} (grid hash ${gridHash})`);
    await found.run.setTags(tags);
    parent = found.run;
    have = found.params;
  } else {
    parent = await tracking.tracker.createRun(tracking.experimentId, {
      runName: `${cfg.name}-grid`,
      tags: { ...tags, [GRID_HASH_TAG]: gridHash },
    });
  }
  if (tracking.tracker instanceof RestStore) {
    // before any training: a server that takes no artifacts must not cost a finished job at its last step
    const refused = await tracking.tracker.checkArtifacts(parent);
    if (refused) log(`mlflow: job folders, subsets and reports stay in ${p.outDir} (the server takes no artifacts)`);
  }
  await parent.logParams(newParams(flattenParams(cfg as unknown as Record<string, unknown>), have, log));
  return parent;
}

export async function runExperiment(cfg: ExperimentConfig, opts: RunOptions = {}): Promise<RunOutcome> {
  const log = opts.log ?? console.log;
  const out = opts.out ?? ((t: string) => process.stdout.write(t));
  ensureDir(outDirOf(cfg));
  const unlock = lock(outDirOf(cfg));
  try {
    const p = await prepareRun(cfg, log);
    const { outDir, build, check, data, grid } = p;
    const tracking = await openTracking(outDir, cfg.name, log);
    const killed = await markStaleRunsKilled(tracking, outDir, log);
    if (killed.length) log(`mlflow: marked ${killed.length} run(s) left RUNNING by a killed process as KILLED`);
    const parent = await createGridRun(cfg, p, tracking, log);
    try {
      return await runGrid(cfg, grid, parent, { outDir, backend: p.backend, build, check, tracking, data, log, out });
    } catch (e) {
      // an error of the run itself (a report that cannot be written, a full disk): FAILED, not left RUNNING
      await endFailed(parent, log);
      throw e;
    }
  } finally {
    unlock();
  }
}

/** The config's params not yet on the run; a changed value (params are write-once) is named, not logged. */
function newParams(
  all: Record<string, ParamValue>,
  have: Record<string, string>,
  log: (l: string) => void,
): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  const changed: string[] = [];
  for (const [k, v] of Object.entries(all)) {
    if (have[k] === undefined) out[k] = v;
    else if (have[k] !== paramString(k, v)) changed.push(k); // compared as the tracker writes it
  }
  if (changed.length)
    log(
      `mlflow: the grid's run keeps its first value of ${changed.join(', ')} (params are write-once; these settings ` +
        `do not change any job)`,
    );
  return out;
}

export interface GridContext {
  outDir: string;
  backend: string;
  build: NumericBuild;
  check: ReturnType<typeof checkBuilds>;
  tracking: Tracking;
  data: DataStates;
  log: (line: string) => void;
  out: (text: string) => void;
}

/** The environment every job of a grid runs in: config, folder, MLflow, the cells prepared once per process. */
export function makeJobEnv(
  cfg: ExperimentConfig,
  grid: Grid,
  parent: Pick<RunHandle, 'runId'>,
  c: Omit<GridContext, 'data'>,
): JobEnv {
  const cells = new Map<string, Promise<Cell>>();
  return {
    cfg,
    outDir: c.outDir,
    backend: c.backend,
    build: c.build,
    staleByBuild: c.check.stale,
    tracking: c.tracking,
    parent,
    log: c.log,
    out: c.out,
    cell: (job) => {
      const key = `${job.task}/${job.model}`;
      let cell = cells.get(key);
      if (!cell) {
        cell = prepareCell(cfg, job.task, job.model, job.settings.data, c.log);
        cells.set(key, cell);
      }
      return cell.then((ready) => {
        if (job.data && ready.dataDigest !== job.data.digest)
          throw new Error(
            `data ${job.task} changed while this run went on (digest ${job.data.digest} when the grid was read, ` +
              `${ready.dataDigest} now): run again to rekey its jobs`,
          );
        return ready;
      });
    },
    position: (job) => `[${grid.jobs.indexOf(job) + 1}/${grid.jobs.length}]`,
  };
}

/** The jobs, the report and the parent run's end, once the models, the grid and the parent run exist. */
async function runGrid(cfg: ExperimentConfig, grid: Grid, parent: RunHandle, c: GridContext): Promise<RunOutcome> {
  const env = makeJobEnv(cfg, grid, parent, c);
  const result = await schedule(grid, env, autoConcurrency(c.backend, cfg.run.concurrency), c.data);
  return finishGrid(cfg, grid, parent, c, result);
}

/** The jobs' tally line, the report, the parent run's artifacts and end (in-process and queue runs alike). */
export async function finishGrid(
  cfg: ExperimentConfig,
  grid: Grid,
  parent: RunHandle,
  c: Pick<GridContext, 'outDir' | 'tracking' | 'log'>,
  result: { ran: string[]; skipped: string[]; failed: string[]; blocked: string[] },
): Promise<RunOutcome> {
  const { outDir, tracking, log } = c;
  log(
    `jobs: ${result.ran.length} ran, ${result.skipped.length} finished earlier, ${result.failed.length} failed, ` +
      `${result.blocked.length} blocked by a failure`,
  );
  const files = await writeReport(cfg, outDir, grid, tracking.location);
  // the summary table's means and stds, so runs of grids compare in MLflow without opening a report
  const summary = summaryMetrics(files.rows);
  if (Object.keys(summary).length) await parent.logMetrics(summary);
  for (const f of [files.report, files.html, files.csv, files.json]) await parent.logArtifact(f);
  await parent.logArtifact(join(outDir, 'plots'));
  await parent.logArtifact(join(outDir, 'tables'));
  await parent.end(result.failed.length ? 'FAILED' : 'FINISHED');
  if (tracking.tracker instanceof RestStore) {
    // push what the journal holds while the server answers; what stays waits for `experiments sync`
    await pushJournal(tracking, outDir, log);
    resolveDoneRunIds(outDir);
    const pending = tracking.tracker.pendingRuns();
    if (pending.length)
      log(
        `mlflow: ${pending.length} run(s) wait in the offline journal for the server ${tracking.location}: run ` +
          `\`experiments sync\` when it is reachable`,
      );
  }
  return { ...files, ...result, outDir, mlruns: tracking.location };
}

async function schedule(grid: Grid, env: JobEnv, concurrency: number, data: DataStates) {
  const limit = pLimit(concurrency);
  const ran: string[] = [];
  const skipped: string[] = [];
  const failed: string[] = [];
  const blocked: string[] = [];
  const promises = new Map<string, Promise<boolean>>();
  const runOne = (job: Job): Promise<boolean> => {
    let p = promises.get(job.id);
    if (p) return p;
    p = (async () => {
      const depsOk = await Promise.all(job.deps.map((d) => runOne(grid.byId.get(d)!)));
      if (depsOk.some((ok) => !ok)) {
        blocked.push(job.id);
        env.log(`${env.position(job)} ${job.label}: blocked (a job it needs failed)`);
        return false;
      }
      const status = jobStatus(env.outDir, job, env.staleByBuild);
      if (status === 'done') {
        skipped.push(job.id);
        env.log(`${env.position(job)} ${job.label}: finished earlier, skipped`);
        return true;
      }
      if (status === 'stale')
        env.log(
          `${env.position(job)} ${job.label}: stale, redone (${staleReason(env.outDir, job, grid, env.staleByBuild)})`,
        );
      // scores jobs read files and write subsets in seconds: they skip the training queue
      const ok = await (job.kind === 'scores' ? executeJob(env, job, data) : limit(() => executeJob(env, job, data)));
      (ok ? ran : failed).push(job.id);
      await pushAfterJob(env);
      return ok;
    })();
    promises.set(job.id, p);
    return p;
  };
  await Promise.all(grid.jobs.map(runOne));
  return { ran, skipped, failed, blocked };
}

/** A job ended: if the server answers again, what the journal holds goes to it now (never fails the grid). */
async function pushAfterJob(env: JobEnv): Promise<void> {
  try {
    await pushJournal(env.tracking, env.outDir, env.log);
  } catch (e) {
    env.log(`mlflow: pushing the offline journal failed (${e instanceof Error ? e.message : String(e)}); sync will`);
  }
}

/** Run one job; a failure is recorded in its failed.json and logged, and gives false. */
export async function executeJob(env: JobEnv, job: Job, data: DataStates): Promise<boolean> {
  try {
    // a placeholder key must not end up in a done.json: data that could not be read fails the job
    if (job.dataMissing) throw new Error(`data ${job.task}: ${dataMissingWhy(data, job)}`);
    if (job.kind === 'phase1') await runPhase1(env, job);
    else if (job.kind === 'scores') await runScores(env, job);
    else if (job.kind === 'al') await runAlStep(env, job);
    else if (job.kind === 'graft') await runGraft(env, job);
    else await runPhase2(env, job);
    return true;
  } catch (caught) {
    const e = explainFsError(caught, `under ${jobDir(env.outDir, job)}`);
    try {
      failJob(jobDir(env.outDir, job), job, e);
    } catch (e2) {
      env.log(`${job.label}: could not record the failure: ${e2 instanceof Error ? e2.message : String(e2)}`);
    }
    env.log(`${env.position(job)} ${job.label}: FAILED: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.DEBUG && e instanceof Error) env.log(e.stack ?? '');
    return false;
  }
}

/** Why a job's data has no record (readDataStates said). */
const dataMissingWhy = (data: DataStates, job: Job) =>
  data[dataKey(job.task, job.settings.data)]?.missing ?? 'not read';
