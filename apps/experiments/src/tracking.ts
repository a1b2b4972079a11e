// MLflow for the app: where runs go, the parent run per grid invocation, and the sweep that marks runs a killed
// process left RUNNING as KILLED. SEAM(libs/tracking openTracker/sync): when it lands, openTracking asks it
// for the tracker (file store, or REST with an offline journal when MLFLOW_TRACKING_URI is set).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { FileRun, FileStore, listRuns, readRun, type RunHandle, type Tracker } from '@prunelab/tracking';

export interface Tracking {
  tracker: Tracker;
  experimentId: string;
  /** where runs can be browsed: a folder for the file store */
  location: string;
}

const RUNNING = 1; // MLflow's RunStatus code in meta.yaml

export async function openTracking(outDir: string, experiment: string): Promise<Tracking> {
  const root = join(outDir, 'mlruns');
  const tracker = new FileStore(root);
  const experimentId = await tracker.getOrCreateExperiment(experiment);
  return { tracker, experimentId, location: root };
}

/** Runs still RUNNING belong to a process that died (one process per results folder holds the lock): mark them KILLED. */
export async function markStaleRunsKilled(t: Tracking): Promise<string[]> {
  if (!(t.tracker instanceof FileStore)) return [];
  const root = t.tracker.root;
  const killed: string[] = [];
  for (const runId of listRuns(root, t.experimentId)) {
    const run = readRun(root, t.experimentId, runId);
    if (Number(run.meta.status) !== RUNNING) continue;
    await new FileRun(join(root, t.experimentId, runId), runId, t.experimentId).end('KILLED');
    killed.push(runId);
  }
  return killed;
}

let commit: string | undefined;
export function gitCommit(): string {
  if (commit === undefined) {
    try {
      commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      commit = 'unknown';
    }
  }
  return commit;
}

export type { RunHandle };
