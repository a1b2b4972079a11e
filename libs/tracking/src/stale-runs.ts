// Runs a killed process left RUNNING in a file store (SIGKILL gives no chance to call end()).
// The app calls this on restart, before it creates new runs, so the MLflow UI does not show
// dead jobs as running forever. Only call it when no other process writes to the same mlruns/.
import fs from 'node:fs';
import path from 'node:path';
import { META_FILE, STATUS_CODE, readMetaYaml, writeMetaYaml } from './meta-yaml.ts';
import { listExperiments, listRuns } from './read-store.ts';
import type { RunStatus } from './tracker.ts';

export interface StaleRun {
  experimentId: string;
  runId: string;
  runName: string;
  /** The end_time written: the run's last sign of life. */
  endTime: number;
}

export interface MarkStaleOptions {
  /** Default KILLED. */
  status?: Exclude<RunStatus, 'FINISHED'>;
  /** Only these experiments (default: all active ones). */
  experimentIds?: string[];
  /** Run ids to leave alone, e.g. runs this process has open. */
  exclude?: Iterable<string>;
}

/** Marks every RUNNING run of the store with `status` and an end_time at its last activity; returns them. */
export async function markStaleRuns(root: string, opts: MarkStaleOptions = {}): Promise<StaleRun[]> {
  const status = opts.status ?? 'KILLED';
  if (status !== 'KILLED' && status !== 'FAILED')
    throw new Error(`markStaleRuns: status must be 'KILLED' or 'FAILED', got '${String(status)}'`);
  const exclude = new Set(opts.exclude ?? []);
  if (!fs.existsSync(root)) return [];
  const out: StaleRun[] = [];
  const expIds = opts.experimentIds ?? listExperiments(root).map((e) => e.id);
  for (const experimentId of expIds) {
    for (const runId of listRuns(root, experimentId)) {
      if (exclude.has(runId)) continue;
      const runDir = path.join(root, experimentId, runId);
      const meta = readMetaYaml(path.join(runDir, META_FILE));
      if (meta.status !== STATUS_CODE.RUNNING) continue;
      const endTime = lastActivity(runDir, typeof meta.start_time === 'number' ? meta.start_time : 0);
      meta.status = STATUS_CODE[status];
      meta.end_time = endTime;
      await writeMetaYaml(runDir, meta);
      out.push({ experimentId, runId, runName: String(meta.run_name ?? ''), endTime });
    }
  }
  return out;
}

/** Latest of the start time, the metric points' timestamps and the modification times of the run's files. */
function lastActivity(runDir: string, startTime: number): number {
  let t = startTime;
  const walk = (dir: string, metrics: boolean): void => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        walk(p, metrics);
        continue;
      }
      t = Math.max(t, Math.floor(fs.statSync(p).mtimeMs));
      if (metrics) {
        const lines = fs.readFileSync(p, 'utf8').trimEnd().split('\n');
        const ts = Number(lines.at(-1)?.split(' ')[0]);
        if (Number.isSafeInteger(ts)) t = Math.max(t, ts);
      }
    }
  };
  walk(path.join(runDir, 'metrics'), true);
  walk(path.join(runDir, 'params'), false);
  walk(path.join(runDir, 'tags'), false);
  return t;
}
