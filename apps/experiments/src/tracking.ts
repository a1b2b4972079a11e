// MLflow for the app: the tracker (a local file store under results/<name>/mlruns, or the REST API with an
// offline journal when MLFLOW_TRACKING_URI=http(s)://...), and the restart sweep that marks runs a killed
// process left RUNNING as KILLED.
import { execFileSync } from 'node:child_process';
import {
  FileStore,
  markStaleRuns,
  openTracker,
  syncPending,
  type RunHandle,
  type SyncReport,
  type Tracker,
} from '@prunelab/tracking';

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

/** Replay the offline journal of a results folder to MLFLOW_TRACKING_URI; undefined when no server is set. */
export async function syncJournal(outDir: string, log: (l: string) => void): Promise<SyncReport | undefined> {
  const uri = process.env.MLFLOW_TRACKING_URI?.trim();
  if (!uri || !/^https?:\/\//i.test(uri)) return undefined;
  return syncPending(outDir, uri, { log });
}

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
