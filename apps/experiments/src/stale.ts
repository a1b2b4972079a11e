// Why a finished job is stale: its done.json (and job.json) keep the data record and model digest its key had, so
// status and run can name the part that changed (a split's data, the model weights, the phase-1 runs a job reads,
// a setting) instead of only saying "stale".
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DataRecord } from './data-digest.ts';
import type { Grid, Job } from './grid.ts';
import { jobDir, jobStatus, keptWeightsMissing, readJson, type DoneMarker } from './job-state.ts';

const BY_BUILD = 'made by another numeric build (run.numeric_build: strict)';

/** What changed between the data a job was made with and the data now, split by split. */
export function dataChange(task: string, was: DataRecord, now: DataRecord): string | undefined {
  if (was.digest === now.digest) return undefined;
  const splits = [...new Set([...Object.keys(was.splits), ...Object.keys(now.splits)])];
  const changed = splits
    .filter((s) => was.splits[s] !== now.splits[s])
    .map((s) => `${task} ${s} digest ${was.splits[s] ?? 'none'} -> ${now.splits[s] ?? 'none'}`);
  return `data changed: ${changed.join(', ') || `${task} digest ${was.digest} -> ${now.digest}`}`;
}

/** Leaf paths of a settings object, for naming the settings that changed. */
function flatten(x: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (x !== null && typeof x === 'object' && !Array.isArray(x)) {
    for (const [k, v] of Object.entries(x)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = JSON.stringify(x);
  return out;
}

/** The settings that differ between a job.json and the job now, in words (undefined: none). */
export function settingsChange(was: unknown, now: unknown): string | undefined {
  const a = flatten(was);
  const b = flatten(now);
  // a job made before `peft:` existed has no peft setting: that is full fine-tuning, not a change; likewise one made
  // before data.per_class existed: that is per_class null (off)
  const none = (k: string, v: string | undefined) =>
    v === undefined || (k.endsWith('.peft') && v === '"none"') || (k.endsWith('data.per_class') && v === 'null');
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
    (k) => a[k] !== b[k] && !(none(k, a[k]) && none(k, b[k])),
  );
  if (!keys.length) return undefined;
  const shown = keys.slice(0, 3).map((k) => `${k} ${a[k] ?? 'unset'} -> ${b[k] ?? 'unset'}`);
  return `settings changed: ${shown.join(', ')}${keys.length > 3 ? ` and ${keys.length - 3} more` : ''}`;
}

/** Why `job` is stale (undefined when it is not): the first part of its key that differs from its done.json. */
export function staleReason(
  outDir: string,
  job: Job,
  grid: Grid,
  staleByBuild?: ReadonlySet<string>,
): string | undefined {
  if (jobStatus(outDir, job, staleByBuild) !== 'stale') return undefined;
  const dir = jobDir(outDir, job);
  const done = readJson<DoneMarker>(join(dir, 'done.json'));
  if (done?.hash === job.hash)
    return keptWeightsMissing(dir, job)
      ? 'its final weights, which a graft job reads, are not kept (final/ is missing): it trains again to keep them'
      : BY_BUILD;
  const made = readJson<{ data?: DataRecord | null; weights?: string | null; settings?: unknown }>(
    join(dir, 'job.json'),
  );
  const was = { data: done?.data ?? made?.data, weights: done?.weights ?? made?.weights };
  if (job.kind !== 'scores') {
    if (was.data && job.data) {
      const d = dataChange(job.task, was.data, job.data);
      if (d) return d;
    } else if (job.data) return 'made before data digests entered the job keys';
    if (was.weights !== undefined && was.weights !== job.weights)
      return `model weights changed: ${was.weights ?? 'none'} -> ${job.weights ?? 'none'}`;
  }
  // a graft job: the run it grafts (its key holds that run's)
  if (job.kind === 'graft') {
    const run = grid.byId.get(job.run);
    const why = run && staleReason(outDir, run, grid, staleByBuild);
    if (why) return `its run ${job.run} is stale (${why})`;
  }
  // an AL step: the step before it (its key holds that step's)
  if (job.kind === 'al' && job.prev) {
    const prev = grid.byId.get(job.prev);
    const why = prev && staleReason(outDir, prev, grid, staleByBuild);
    if (why) return `its previous step ${job.prev} is stale (${why})`;
  }
  // scores jobs and subset runs: the phase-1 runs behind them
  const records =
    job.kind === 'scores'
      ? job.records
      : job.kind === 'phase2' && job.subset
        ? ((grid.byId.get(job.subset.scores) as Extract<Job, { kind: 'scores' }> | undefined)?.records ?? [])
        : [];
  const doneAt = (d: string) => (existsSync(join(d, 'done.json')) ? statSync(join(d, 'done.json')).mtimeMs : 0);
  for (const id of records) {
    const r = grid.byId.get(id);
    const why = r && staleReason(outDir, r, grid, staleByBuild);
    if (why) return `its phase-1 run ${id} is stale (${why})`;
    // redone in this run (or since) with another key: its done.json is newer than this job's
    if (r && doneAt(jobDir(outDir, r)) > doneAt(dir)) return `its phase-1 run ${id} was redone since`;
  }
  return (
    settingsChange(made?.settings, job.settings) ?? 'its key changed (settings, seeds, subset or the phase-1 runs)'
  );
}
