// Where every job of a grid stands, from the two places that hold the truth: the results folder (done.json with
// the job's hash: done) and Redis (waiting, active, failed ...). Redis is read first: a job that completes between
// the two reads has its done.json already (the job process writes it before the worker reports completion), so a
// job is never seen as "neither done nor queued" while it is finishing.
import type { Job as BullJob } from 'bullmq';
import type { Grid, Job } from '../grid.ts';
import { jobStatus } from '../job-state.ts';
import { gridKey, type Queue, type QueueJobData, queueJobId } from './connection.ts';

export type QueueState =
  | { state: 'done' }
  | { state: 'waiting' | 'delayed'; job: BullJob<QueueJobData> }
  | { state: 'active'; job: BullJob<QueueJobData> }
  | { state: 'failed'; job: BullJob<QueueJobData> }
  /** upstream: the failed job that blocks it */
  | { state: 'blocked'; by: string }
  /** its dependencies are done and it is in no queue: a coordinator enqueues it */
  | { state: 'ready' }
  /** a dependency is not done yet */
  | { state: 'pending' };

const KINDS = ['wait', 'active', 'delayed', 'prioritized', 'failed', 'waiting-children'] as const;

/** BullMQ jobs of this grid by BullMQ id, with their state. */
export async function queuedJobs(queue: Queue<QueueJobData>, outDir: string) {
  const prefix = `${gridKey(outDir)}-`;
  const out = new Map<string, { state: string; job: BullJob<QueueJobData> }>();
  for (const kind of KINDS) {
    const jobs = await queue.getJobs([kind], 0, -1);
    for (const j of jobs) if (j?.id?.startsWith(prefix)) out.set(j.id, { state: kind, job: j });
  }
  return out;
}

/** Every job's state, in grid order (dependencies come before their dependants in grid.jobs). */
export async function gridStates(
  queue: Queue<QueueJobData>,
  outDir: string,
  grid: Grid,
  staleByBuild?: ReadonlySet<string>,
): Promise<Map<string, QueueState>> {
  const queued = await queuedJobs(queue, outDir);
  const states = new Map<string, QueueState>();
  const stateOf = (job: Job): QueueState => {
    const known = states.get(job.id);
    if (known) return known;
    let s: QueueState;
    const q = queued.get(queueJobId(outDir, job.hash));
    if (jobStatus(outDir, job, staleByBuild) === 'done') s = { state: 'done' };
    else if (q?.state === 'active') s = { state: 'active', job: q.job };
    else if (q?.state === 'failed') s = { state: 'failed', job: q.job };
    else if (q) s = { state: q.state === 'delayed' ? 'delayed' : 'waiting', job: q.job };
    else {
      const deps = job.deps.map((d) => [d, stateOf(grid.byId.get(d)!)] as const);
      const bad = deps.find(([, ds]) => ds.state === 'failed' || ds.state === 'blocked');
      if (bad) s = { state: 'blocked', by: bad[1].state === 'blocked' ? bad[1].by : bad[0] };
      else s = deps.every(([, ds]) => ds.state === 'done') ? { state: 'ready' } : { state: 'pending' };
    }
    states.set(job.id, s);
    return s;
  };
  for (const job of grid.jobs) stateOf(job);
  return states;
}

/** The last lines of a failed job's error, for status and the coordinator's log. */
export const errorTail = (job: BullJob, lines = 4) =>
  String(job.failedReason ?? 'no reason recorded')
    .split('\n')
    .filter((l) => l.trim())
    .slice(-lines);
