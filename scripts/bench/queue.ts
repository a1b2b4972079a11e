// npm run bench:queue: what the BullMQ queue costs and gives, measured on this machine with a private Redis
// (or REDIS_URL). One grid of small CPU jobs (6 phase-1 runs, their scores, 3 phase-2 runs of a random one-layer
// BERT on real SST-2 sentences, PRUNELAB_THREADS=1) is run in-process, then on the queue with 1 and with 2 workers,
// each from an empty results folder. Printed: wall times and throughput, the speed-up of 2 workers over 1, and per
// job the enqueue-to-start latency (coordinator's "queued" line to a worker's "start" line) and the job process's
// start-up (the worker's "start" line to the job's first line: tsx, TF.js, data).
//   --train-size N (default 640)  --epochs N (default 2)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startTestRedis } from '../../apps/experiments/src/queue/redis-server.ts';
import { cli, type CliProcess, tinyGrid } from '../../apps/experiments/src/queue/testing.ts';

const { values } = parseArgs({ options: { 'train-size': { type: 'string' }, epochs: { type: 'string' } } });
const trainSize = Number(values['train-size'] ?? 640);
const epochs = Number(values.epochs ?? 2);
const seeds = [1, 2, 3, 4, 5, 6];
const JOBS = seeds.length + 1 + 3;
const env = { PRUNELAB_THREADS: '1', PRUNELAB_QUEUE_POLL_MS: '200' };

const redis = await startTestRedis();
const dir = mkdtempSync(join(tmpdir(), 'prunelab-bench-queue-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function timed(p: CliProcess): Promise<number> {
  const t0 = performance.now();
  const end = await p.exited;
  if (end.code !== 0) throw new Error(`bench: a run failed:\n${end.output}`);
  return performance.now() - t0;
}

try {
  const grid = (name: string) => tinyGrid(join(dir, name), 'bench', { trainSize, epochs, seeds });
  const inProcess = await timed(cli(['run', await grid('in-process')], env));

  const queued = async (name: string, n: number) => {
    const config = await grid(name);
    const workers = Array.from({ length: n }, () => cli(['worker', '--queue', redis.url], env));
    for (const w of workers) await w.waitFor(/waiting for jobs/);
    const c = cli(['run', config, '--queue', redis.url], env);
    const wall = await timed(c);
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    // per job: queued (coordinator) -> start (worker) -> the job process's first line
    const queuedAt = new Map<number, number>();
    for (const { t, line } of c.lines) {
      const m = /^\[(\d+)\/\d+\] .*: queued$/.exec(line);
      if (m) queuedAt.set(Number(m[1]), t);
    }
    const toStart: number[] = [];
    const startup: number[] = [];
    for (const w of workers) {
      for (const [i, { t, line }] of w.lines.entries()) {
        if (!/^worker \S+: start /.test(line)) continue;
        const first = w.lines.slice(i + 1).find((l) => /^\[\d+\/\d+\] /.test(l.line));
        if (!first) continue;
        const pos = Number(/^\[(\d+)\//.exec(first.line)![1]);
        if (queuedAt.has(pos)) toStart.push(t - queuedAt.get(pos)!);
        startup.push(first.t - t);
      }
    }
    return { wall, toStart, startup };
  };
  const one = await queued('one-worker', 1);
  const two = await queued('two-workers', 2);

  console.log(
    `grid: ${JOBS} jobs (${seeds.length} phase-1 runs of ${epochs} epochs on ${trainSize} SST-2 sentences, scores, 3 ` +
      `phase-2 runs), one thread per job; Redis ${redis.url}`,
  );
  console.log(`in-process run:      ${s(inProcess)}  (${((JOBS * 60_000) / inProcess).toFixed(1)} jobs/min)`);
  for (const [label, r] of [
    ['queue, 1 worker:    ', one],
    ['queue, 2 workers:   ', two],
  ] as const)
    console.log(`${label} ${s(r.wall)}  (${((JOBS * 60_000) / r.wall).toFixed(1)} jobs/min)`);
  console.log(`speed-up of 2 workers over 1: ${(one.wall / two.wall).toFixed(2)}x`);
  console.log(
    `queue overhead per job (1 worker vs in-process): ${s((one.wall - inProcess) / JOBS)}; of which ` +
      `enqueue -> worker start: median ${s(median(one.toStart))}, min ${s(Math.min(...one.toStart))} (a job ` +
      `queued while the worker is busy waits for it), job process start-up (tsx, TF.js, data): median ` +
      `${s(median(one.startup))}`,
  );
} finally {
  redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
