// `experiments worker --queue redis://...`: takes grid jobs from BullMQ and runs each in its own process
// (job-process.ts), so the worker's event loop stays free to renew the job's lock: a healthy job is never reported
// stalled. Assumption: every worker sees the results folders at the same absolute paths (one machine, or a shared
// file system); one worker per GPU (CUDA_VISIBLE_DEVICES=0 experiments worker ..., =1 for the next).
// A worker killed mid-job: its lock lapses, BullMQ's stalled check (in any live worker) puts the job back in the
// queue, and the next worker resumes it from its training snapshot (train-job.ts). The claim (claim.ts) keeps two
// processes off one job hash even when Redis forgot the job.
import { type ChildProcess, fork } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Job as BullJob } from 'bullmq';
import { readJson } from '../job-state.ts';
import { tryClaim } from './claim.ts';
import type { ChildMessage } from './job-process.ts';
import { cancelKey, connect, loadBull, QUEUE_NAME, type QueueJobData } from './connection.ts';

export interface WorkerOptions {
  concurrency?: number;
  /** shown by `status --queue` for the jobs it runs; default host-pid */
  name?: string;
  log?: (line: string) => void;
  /** where the job processes' output goes (their progress lines) */
  out?: (text: string) => void;
}

/** BullMQ's lock: held `lockMs`, renewed every lockMs/2; a dead worker's job is back after about lockMs. */
const LOCK_MS = Number(process.env.PRUNELAB_QUEUE_LOCK_MS ?? 30_000);
/** How often a claim's mtime is refreshed. */
const RENEW_MS = Math.min(5_000, LOCK_MS / 3);
/** A job whose hash is claimed elsewhere waits this long before it is tried again. */
const CLAIMED_DELAY_MS = Math.min(10_000, LOCK_MS);

const JOB_PROCESS = join(import.meta.dirname, 'job-process.ts');

export interface RunningWorker {
  name: string;
  /** stop taking jobs; `force`: also stop the running job processes (their jobs go back to the queue) */
  close(force?: boolean): Promise<void>;
}

export async function startWorker(url: string, opts: WorkerOptions = {}): Promise<RunningWorker> {
  const { bullmq } = await loadBull();
  const log = opts.log ?? console.log;
  const out = opts.out ?? ((t: string) => process.stdout.write(t));
  const name = opts.name ?? `${hostname()}-${process.pid}`;
  const concurrency = opts.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error(`--concurrency: ${concurrency} is not a whole number >= 1 (one job process per slot)`);
  const client = await connect(url);
  const children = new Set<ChildProcess>();
  /** the jobs this worker runs, with their lock tokens: handed back to the queue when it stops */
  const running = new Map<string, { job: BullJob<QueueJobData>; token?: string }>();
  let stopping = false;

  const processor = async (job: BullJob<QueueJobData>, token?: string): Promise<string> => {
    const d = job.data;
    if (await client.exists(cancelKey(d.outDir))) {
      log(`worker ${name}: ${d.id} dropped: its grid was cancelled (experiments cancel)`);
      return 'cancelled';
    }
    const { claim, holder } = tryClaim(d.outDir, d.hash, name);
    if (!claim) {
      // BullMQ handed out a job that still runs elsewhere (Redis lost it mid-run): try again later
      log(`worker ${name}: ${d.id} runs on ${holder?.worker ?? 'another worker'}; retried in ${CLAIMED_DELAY_MS} ms`);
      await job.moveToDelayed(Date.now() + CLAIMED_DELAY_MS, token);
      throw new bullmq.DelayedError();
    }
    const timer = setInterval(claim.renew, RENEW_MS);
    running.set(job.id!, { job, ...(token && { token }) });
    try {
      log(`worker ${name}: start ${d.id} (${d.hash})`);
      const r = await runChild(d, out, {
        spawned: (pid) => claim.setChild(pid),
        progress: (percent) => void job.updateProgress(percent).catch(() => {}),
        children,
      });
      if (r.code === 0) {
        log(`worker ${name}: ${r.skipped ? 'already done' : 'done'} ${d.id}`);
        return r.skipped ? 'skipped' : 'done';
      }
      const recorded = readJson<{ hash: string; error: string }>(join(d.outDir, d.id, 'failed.json'));
      // failed.json's error; when it could not be written, the job's own FAILED line
      const failedLine = r.tail.findLast((l) => / FAILED: /.test(l))?.replace(/^.* FAILED: /, '');
      const why = recorded?.hash === d.hash ? recorded.error : failedLine;
      const exit = r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
      if (stopping) throw new Error(`worker ${name} stopped (${exit}); the job is back in the queue`);
      log(`worker ${name}: FAILED ${d.id} (${exit})`);
      throw new Error([why || `job process ${exit}`, ...r.tail].join('\n'));
    } finally {
      running.delete(job.id!);
      clearInterval(timer);
      claim.release();
    }
  };

  const worker = new bullmq.Worker<QueueJobData, string>(QUEUE_NAME, processor, {
    connection: client,
    concurrency,
    name,
    lockDuration: LOCK_MS,
    stalledInterval: LOCK_MS,
    // a job comes back once per killed worker; more than this many kills of one job fail it for a person to look at
    maxStalledCount: 5,
    autorun: true,
  });
  worker.on('error', (e) => log(`worker ${name}: ${e.message}`));
  // a lock that lapsed while its job was still running here (the event loop starved, or Redis unreachable too long)
  worker.on('stalled', (id) => log(`worker ${name}: STALLED job ${id} (its lock lapsed; it goes back to the queue)`));
  log(`worker ${name}: waiting for jobs on ${url} (queue ${QUEUE_NAME}, ${concurrency} at a time)`);
  return {
    name,
    close: async (force = false) => {
      if (force) {
        // no new jobs; the running ones back to the queue at once (not after their lock lapses), then stopped:
        // the next worker resumes them from their snapshots
        stopping = true;
        await worker.pause(true);
        for (const { job, token } of running.values()) await job.moveToWait(token).catch(() => {});
        for (const c of children) c.kill('SIGTERM');
      }
      await worker.close(force);
      client.disconnect();
    },
  };
}

interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  pid: number;
  skipped: boolean;
  /** the last lines it printed, for the failure reason */
  tail: string[];
}

/** Run job-process.ts for one job: its output through `out`, progress reported, the last lines kept. */
function runChild(
  d: QueueJobData,
  out: (t: string) => void,
  h: { spawned(pid: number): void; progress(percent: number): void; children: Set<ChildProcess> },
): Promise<ChildEnd> {
  return new Promise((resolve, reject) => {
    const child = fork(JOB_PROCESS, [JSON.stringify(d)], {
      execArgv: ['--import', import.meta.resolve('tsx')],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    h.children.add(child);
    if (child.pid) h.spawned(child.pid);
    let tail: string[] = [];
    let skipped = false;
    const keep = (t: string) => {
      tail = [...tail, ...t.split(/[\r\n]+/).filter((l) => l.trim())].slice(-12);
    };
    child.stdout!.on('data', (b: Buffer) => {
      out(b.toString());
      keep(b.toString());
    });
    child.stderr!.on('data', (b: Buffer) => {
      process.stderr.write(b);
      keep(b.toString());
    });
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'progress') h.progress(m.percent);
      else if (m.type === 'skipped') skipped = true;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      h.children.delete(child);
      resolve({ code, signal, pid: child.pid ?? 0, skipped, tail });
    });
  });
}
