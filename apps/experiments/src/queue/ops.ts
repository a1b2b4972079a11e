// The queue's operations on one grid: `status --queue` (each job: done, waiting, active on which worker since when
// at what progress, failed with the error's last lines, blocked by which failed job), `retry --failed` (failed
// jobs back in the queue, then coordinate to the end) and `cancel` (no more jobs of the grid enqueued; waiting
// ones removed; running ones finish).
import { readDataStates } from '../data-digest.ts';
import { expandGrid } from '../grid.ts';
import { outDirOf } from '../run.ts';
import type { ExperimentConfig } from '../schema.ts';
import { readModelWeights } from '../weights.ts';
import { cancelKey, connect, openQueue } from './connection.ts';
import { coordinate } from './coordinator.ts';
import { errorTail, gridStates, queuedJobs } from './states.ts';

const since = (ms: number | undefined) => (ms ? new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z') : '?');

/** The grid's jobs with their queue state, one line each (plus the error's last lines of failed jobs). */
export async function queueStatus(cfg: ExperimentConfig, url: string): Promise<string> {
  const outDir = outDirOf(cfg);
  const grid = expandGrid(cfg, readModelWeights(cfg), await readDataStates(cfg, { download: false }));
  const client = await connect(url, { failFast: true });
  const queue = await openQueue(client);
  try {
    const states = await gridStates(queue, outDir, grid);
    const counts: Record<string, number> = {};
    const lines: string[] = [];
    for (const [i, job] of grid.jobs.entries()) {
      const s = states.get(job.id)!;
      counts[s.state] = (counts[s.state] ?? 0) + 1;
      let detail = '';
      if (s.state === 'active') {
        const p = typeof s.job.progress === 'number' ? `${s.job.progress}%` : '0%';
        detail = `on ${s.job.processedBy ?? '?'} since ${since(s.job.processedOn)}, ${p}`;
      } else if (s.state === 'blocked') detail = `by ${s.by}`;
      else if (s.state === 'ready') detail = 'not queued: start `experiments run <config> --queue` to enqueue it';
      lines.push(`${String(i + 1).padStart(4)}  ${s.state.padEnd(7)}  ${job.kind.padEnd(6)}  ${job.id}  ${detail}`);
      if (s.state === 'failed') for (const l of errorTail(s.job)) lines.push(`          | ${l}`);
    }
    const cancelled = (await client.exists(cancelKey(outDir))) ? ' (cancelled)' : '';
    const summary = Object.entries(counts)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
    return [`grid ${cfg.name} on ${url}${cancelled}: ${grid.jobs.length} jobs; ${summary}`, '', ...lines].join('\n');
  } finally {
    await queue.close();
    client.disconnect();
  }
}

/** Failed jobs of the grid back to the queue, then coordinate until the grid is done (as `run --queue`). */
export function retryFailed(cfg: ExperimentConfig, url: string, log: (l: string) => void = console.log) {
  return coordinate(cfg, url, {
    log,
    before: async (queue, ids) => {
      const failed = (await queue.getJobs(['failed'], 0, -1)).filter((j) => j?.id && ids.has(j.id));
      for (const j of failed) await j.retry('failed');
      log(`retry: ${failed.length} failed job(s) back in the queue`);
    },
  });
}

/** Stop the grid: coordinators stop enqueuing, waiting and failed jobs are removed, running ones finish. */
export async function cancelGrid(cfg: ExperimentConfig, url: string): Promise<string> {
  const outDir = outDirOf(cfg);
  const client = await connect(url, { failFast: true });
  const queue = await openQueue(client);
  try {
    await client.set(cancelKey(outDir), new Date().toISOString());
    let removed = 0;
    let running = 0;
    for (const { state, job } of (await queuedJobs(queue, outDir)).values()) {
      if (state === 'active') running++;
      else {
        await job.remove();
        removed++;
      }
    }
    return `cancel ${cfg.name}: ${removed} queued job(s) removed, ${running} running job(s) left to finish`;
  } finally {
    await queue.close();
    client.disconnect();
  }
}
