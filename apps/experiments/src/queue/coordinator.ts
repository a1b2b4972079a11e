// `experiments run <cfg> --queue redis://...`: expands the grid as `run` does, then enqueues every job whose
// dependencies are done (BullMQ id = grid key + content hash: a job is never in the queue twice) and watches the
// results folder and Redis until every job is done, failed or blocked by a failure; then writes the same report.
// The grid is a DAG (phase-1 runs -> scores -> phase-2 runs and transfers), resolved here rather than with BullMQ
// flows, which are trees. The coordinator keeps no state of its own: killed and restarted it carries on, and two
// coordinators of one grid only add the same ids (ignored by BullMQ) and write the same report.
import { prepareRun, createGridRun, finishGrid, type RunOutcome } from '../run.ts';
import type { ExperimentConfig } from '../schema.ts';
import { endFailed, openTracking } from '../tracking.ts';
import {
  cancelKey,
  connect,
  openQueue,
  parentLockKey,
  queueJobId,
  type QueueJobData,
  withRedisLock,
} from './connection.ts';
import { errorTail, gridStates } from './states.ts';

export interface CoordinateOptions {
  log?: (line: string) => void;
  /** how often the folder and Redis are read (ms) */
  pollMs?: number;
  /** before the first scan (retry --failed): given the queue and the grid */
  before?: (queue: Awaited<ReturnType<typeof openQueue>>, ids: Set<string>) => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function coordinate(
  cfg: ExperimentConfig,
  url: string,
  opts: CoordinateOptions = {},
): Promise<RunOutcome & { cancelled: boolean }> {
  const log = opts.log ?? console.log;
  const pollMs = opts.pollMs ?? Number(process.env.PRUNELAB_QUEUE_POLL_MS ?? 1000);
  const client = await connect(url);
  const queue = await openQueue(client);
  try {
    const p = await prepareRun(cfg, log);
    const { outDir, grid } = p;
    await client.del(cancelKey(outDir)); // a new run undoes an earlier cancel
    const ids = new Set(grid.jobs.map((j) => queueJobId(outDir, j.hash)));
    await opts.before?.(queue, ids);
    // RUNNING MLflow runs may belong to live workers here: no sweep (see README "Distributed runs"). One experiment
    // and one parent run per grid even when coordinators start together: the second finds the first one's (the
    // experiment is made under the lock too: two coordinators creating it at once made two in the file store).
    const { tracking, parent } = await withRedisLock(client, parentLockKey(outDir), async () => {
      const t = await openTracking(outDir, cfg.name, log);
      return { tracking: t, parent: await createGridRun(cfg, p, t, log) };
    });
    const position = (id: string) => `[${grid.jobs.findIndex((j) => j.id === id) + 1}/${grid.jobs.length}]`;
    const skipped: string[] = [];
    const ran: string[] = [];
    const seen = new Map<string, string>(); // job id -> last state logged
    let first = true;
    let cancelled = false;
    try {
      for (;;) {
        if (await client.exists(cancelKey(outDir))) {
          log(`cancelled (experiments cancel): no more jobs of ${cfg.name} are enqueued`);
          cancelled = true;
          break;
        }
        const states = await gridStates(queue, outDir, grid, p.check.stale);
        let open = 0;
        for (const job of grid.jobs) {
          const s = states.get(job.id)!;
          const was = seen.get(job.id);
          if (s.state === 'done') {
            if (was === 'done') continue;
            (first ? skipped : ran).push(job.id);
            log(`${position(job.id)} ${job.label}: ${first ? 'finished earlier, skipped' : 'done'}`);
          } else if (s.state === 'ready') {
            const data: QueueJobData = {
              outDir,
              id: job.id,
              hash: job.hash,
              parentRunId: parent.runId,
              label: job.label,
            };
            // removeOnComplete: done.json is the record; removeOnFail: false keeps the error for status and retry
            await queue.add(job.kind, data, {
              jobId: queueJobId(outDir, job.hash),
              removeOnComplete: true,
              removeOnFail: false,
              attempts: 1,
            });
            open++;
            if (was !== 'waiting') log(`${position(job.id)} ${job.label}: queued`);
            seen.set(job.id, 'waiting');
            continue;
          } else if (s.state === 'failed') {
            if (was !== 'failed')
              log(`${position(job.id)} ${job.label}: FAILED: ${errorTail(s.job, 1).join('') || 'no reason recorded'}`);
          } else if (s.state === 'blocked') {
            if (was !== 'blocked') log(`${position(job.id)} ${job.label}: blocked (${s.by} failed)`);
          } else {
            open++;
            if (s.state === 'active' && was !== 'active')
              log(`${position(job.id)} ${job.label}: started on ${s.job.processedBy ?? 'a worker'}`);
          }
          seen.set(job.id, s.state);
        }
        first = false;
        if (open === 0) break;
        await sleep(pollMs);
      }
      const final = await gridStates(queue, outDir, grid, p.check.stale);
      const failed = grid.jobs.filter((j) => final.get(j.id)!.state === 'failed').map((j) => j.id);
      const blocked = grid.jobs.filter((j) => final.get(j.id)!.state === 'blocked').map((j) => j.id);
      if (failed.length)
        log('failed jobs stay in the queue: `experiments retry <config> --queue <url> --failed` reruns them');
      const outcome = await finishGrid(cfg, grid, parent, { outDir, tracking, log }, { ran, skipped, failed, blocked });
      return { ...outcome, cancelled };
    } catch (e) {
      await endFailed(parent, log);
      throw e;
    }
  } finally {
    await queue.close();
    client.disconnect();
  }
}
