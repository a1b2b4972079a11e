// MLflow for the app: the tracker (a local file store under results/<name>/mlruns, or the REST API with an
// offline journal when MLFLOW_TRACKING_URI=http(s)://...), the restart sweep that marks runs a killed
// process left RUNNING as KILLED, the journal pushed as soon as the server answers again, and done.json's run ids
// rewritten from `local-...` to the server's once their runs are synced.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  FileStore,
  markStaleRuns,
  openTracker,
  RestRun,
  RestStore,
  syncedIds,
  syncPending,
  type RunHandle,
  type SyncReport,
  type Tracker,
} from '@prunelab/tracking';
import { readJson, writeJsonAtomic, type DoneMarker } from './job-state.ts';

export interface Tracking {
  tracker: Tracker;
  experimentId: string;
  /** where runs can be browsed: the mlruns folder, or the server URI */
  location: string;
}

export async function openTracking(
  outDir: string,
  experiment: string,
  log: (l: string) => void = () => {},
): Promise<Tracking> {
  const tracker = openTracker({ localDir: outDir, log });
  const experimentId = await tracker.getOrCreateExperiment(experiment);
  const location = tracker instanceof FileStore ? tracker.root : String(process.env.MLFLOW_TRACKING_URI);
  return { tracker, experimentId, location };
}

/**
 * Runs still RUNNING belong to a process that died (one process per results folder holds the lock): in a file
 * store they are marked KILLED here; with a server, the offline journal is replayed first, which marks the
 * journaled runs of dead processes KILLED too.
 */
export async function markStaleRunsKilled(t: Tracking, outDir: string, log: (l: string) => void): Promise<string[]> {
  if (t.tracker instanceof FileStore) {
    return (await markStaleRuns(t.tracker.root, { experimentIds: [t.experimentId] })).map((r) => r.runId);
  }
  const report = await syncJournal(outDir, log);
  return report ? report.orphans.map((o) => o.serverRunId) : [];
}

/**
 * Replay the offline journals of a results folder (every worker's) to MLFLOW_TRACKING_URI, then point the done.json
 * files of the synced runs at the server's run ids; undefined when no server is set.
 */
export async function syncJournal(outDir: string, log: (l: string) => void): Promise<SyncReport | undefined> {
  const uri = process.env.MLFLOW_TRACKING_URI?.trim();
  if (!uri || !/^https?:\/\//i.test(uri)) return undefined;
  const report = await syncPending(outDir, uri, { log });
  const fixed = resolveDoneRunIds(outDir);
  if (fixed.length) log(`mlflow sync: ${fixed.length} done.json file(s) now name their run's id on the server`);
  return report;
}

/**
 * The server answers again within a `run`: push what this worker journaled (runs that ended while it was down
 * included) now rather than at the next `experiments sync`, and fix the done.json files it concerns. Cheap when the
 * journal is empty or the server was just found down (RestStore's quiet period).
 */
export async function pushJournal(t: Tracking, outDir: string, log: (l: string) => void): Promise<number> {
  if (!(t.tracker instanceof RestStore) || t.tracker.pendingRuns().length === 0) return 0;
  const report = await t.tracker.pushPending();
  if (report.synced.length) {
    log(`mlflow: the server answers again: ${report.synced.length} journaled run(s) pushed to ${t.location}`);
    resolveDoneRunIds(outDir);
  }
  return report.synced.length;
}

/**
 * done.json files under `outDir` whose mlflowRunId is a journal's local id that has reached the server get the
 * server's id (rewritten atomically); returns the files changed. Job folders sit at most four levels down.
 */
export function resolveDoneRunIds(outDir: string): string[] {
  const ids = syncedIds(outDir);
  if (ids.size === 0) return [];
  const changed: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isFile() && e.name === 'done.json') {
        const file = join(dir, e.name);
        const done = readJson<DoneMarker>(file);
        const serverId = done?.mlflowRunId && ids.get(done.mlflowRunId);
        if (done && serverId) {
          writeJsonAtomic(file, { ...done, mlflowRunId: serverId });
          changed.push(file);
        }
      } else if (e.isDirectory() && depth < 5 && !SKIP.has(e.name) && !e.name.startsWith('.')) {
        walk(join(dir, e.name), depth + 1);
      }
    }
  };
  walk(outDir, 0);
  return changed;
}

const SKIP = new Set(['mlruns', 'mlflow-pending', 'node_modules', 'plots', 'tables', 'subsets']);

/** A run id as the server knows it: a journal's `local-...` id once synced becomes the server's, others stay. */
export const serverIdOf = (outDir: string, id: string): string =>
  id.startsWith('local-') ? (syncedIds(outDir).get(id) ?? id) : id;

/** The id to keep in done.json: the server's id once a journaled run reached it, else the handle's id. */
export const finalRunId = (run: RunHandle): string =>
  run instanceof RestRun ? (run.serverRunId ?? run.runId) : run.runId;

/** Tag of the grid's parent run: the grid's hash, so the next `run` of the same grid reuses that parent. */
export const GRID_HASH_TAG = 'prunelab.grid_hash';

/**
 * End a run that failed as FAILED (not left RUNNING, which the next start would mark KILLED as if the process had
 * been killed). A failure to end it (the disk that failed the job, an unreachable server) must not hide the error
 * that failed the job, so it is only logged.
 */
export async function endFailed(run: RunHandle, log: (l: string) => void = () => {}): Promise<void> {
  try {
    await run.end('FAILED');
  } catch (e) {
    log(`mlflow: could not mark run ${run.runId} FAILED: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** MLflow tag of every job run (and of the grid run): 'true' when its model's weights are random (tiny-model.ts). */
export const RANDOM_WEIGHTS_TAG = 'prunelab.random_weights';

let commit: string | undefined;
export function gitCommit(): string {
  if (commit === undefined) {
    try {
      commit = execFileSync('git', ['rev-parse', 'HEAD'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      commit = 'unknown';
    }
  }
  return commit;
}

export type { RunHandle };
