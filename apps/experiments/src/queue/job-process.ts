// One queue job in its own process (started by worker.ts): hours of training here never block the worker's event
// loop, which renews the BullMQ lock and the claim. It reads the grid's config.json from the results folder,
// expands the grid as the coordinator did, checks that the job still has the hash it was enqueued with, and runs
// it exactly as `run` does in-process (same folder, same progress lines, resume from the training snapshot).
// Exit code 0: done (or finished earlier); 1: the job failed (failed.json says why); 3: the grid changed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chooseBackend, numericBuild } from '@prunelab/finetune';
import { FileStore, listRuns, markStaleRuns, readRun } from '@prunelab/tracking';
import { registerConfigTasks } from '../custom-tasks.ts';
import { readDataStates } from '../data-digest.ts';
import { expandGrid } from '../grid.ts';
import { jobStatus } from '../job-state.ts';
import { checkBuilds } from '../provenance.ts';
import { executeJob, makeJobEnv } from '../run.ts';
import type { ExperimentConfig } from '../schema.ts';
import { openTracking, type Tracking } from '../tracking.ts';
import { readModelWeights } from '../weights.ts';
import type { QueueJobData } from './connection.ts';

/** Messages to the worker over the IPC channel. */
export type ChildMessage = { type: 'progress'; percent: number } | { type: 'skipped' };

const send = (m: ChildMessage) => process.send?.(m);

export async function runQueueJob(d: QueueJobData): Promise<number> {
  const cfg = JSON.parse(readFileSync(join(d.outDir, 'config.json'), 'utf8')) as ExperimentConfig;
  registerConfigTasks(cfg);
  const log = (l: string) => console.log(l);
  let lastPercent = -1;
  const out = (t: string) => {
    process.stdout.write(t);
    // the progress line's "12/40 30%": the worker puts it on the BullMQ job for `status --queue`
    const m = / \d+\/\d+ (\d+)% elapsed /.exec(t);
    const percent = m ? Number(m[1]) : t.includes(' done in ') ? 100 : -1;
    if (percent >= 0 && percent !== lastPercent) {
      lastPercent = percent;
      send({ type: 'progress', percent });
    }
  };
  const backend = await chooseBackend(cfg.run.backend);
  const build = numericBuild();
  const data = await readDataStates(cfg, { download: false });
  const grid = expandGrid(cfg, readModelWeights(cfg), data);
  const job = grid.byId.get(d.id);
  if (!job || job.hash !== d.hash) {
    console.error(
      `${d.id}: enqueued with hash ${d.hash}, but ${d.outDir}/config.json, the model folders and the data now give ` +
        `${job ? `hash ${job.hash}` : 'no such job'}: the grid changed since; run \`experiments run --queue\` again`,
    );
    return 3;
  }
  const check = checkBuilds(d.outDir, grid, build, cfg.run.numeric_build);
  const tracking = await openTracking(d.outDir, cfg.name, log);
  const env = makeJobEnv(
    cfg,
    grid,
    { runId: d.parentRunId },
    {
      outDir: d.outDir,
      backend: backend.name,
      build,
      check,
      tracking,
      log,
      out,
    },
  );
  if (jobStatus(d.outDir, job, check.stale) === 'done') {
    log(`${env.position(job)} ${job.label}: finished earlier, skipped`);
    send({ type: 'skipped' });
    return 0;
  }
  const killed = await markKilledRunsOf(tracking, job.id);
  if (killed) log(`mlflow: marked ${killed} run(s) of ${job.id} left RUNNING by a killed worker as KILLED`);
  return (await executeJob(env, job, data)) ? 0 : 1;
}

/**
 * This process holds the job's claim, so a RUNNING MLflow run of the same job belongs to a process that died (a
 * killed worker): KILLED, as `run` marks them in-process. Other jobs' runs may be live on other workers: untouched.
 */
async function markKilledRunsOf(t: Tracking, jobId: string): Promise<number> {
  if (!(t.tracker instanceof FileStore)) return 0; // a server's runs: the journal sync marks them (experiments sync)
  const root = t.tracker.root;
  const others = listRuns(root, t.experimentId).filter((id) => readRun(root, t.experimentId, id).tags.job !== jobId);
  return (await markStaleRuns(root, { experimentIds: [t.experimentId], exclude: others })).length;
}

if (process.argv[1] === import.meta.filename) {
  // the worker died (SIGKILL): stop too, so the next worker that takes the job is alone on it
  process.on('disconnect', () => process.exit(70));
  const data = JSON.parse(process.argv[2] ?? '{}') as QueueJobData;
  runQueueJob(data).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`${data.id}: error: ${e instanceof Error ? (process.env.DEBUG ? e.stack : e.message) : String(e)}`);
      process.exit(1);
    },
  );
}
