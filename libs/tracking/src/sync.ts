// `experiments sync`: replays every offline journal under a results folder (one folder per worker) to the MLflow
// server, parents before children, and marks runs whose process died (a lock left by a dead pid) KILLED.
import fs from 'node:fs';
import path from 'node:path';
import {
  PENDING_DIR,
  finishJournal,
  journalFile,
  listJournals,
  lockFile,
  listLocks,
  lockOwner,
  readState,
  readSynced,
  removeLock,
} from './journal.ts';
import { MlflowClient, type ClientOptions } from './rest-client.ts';
import { isUnreachable } from './rest-errors.ts';
import { isLocalId, replayRun, type IdResolver } from './replay.ts';
import type { RunStatus } from './tracker.ts';

export interface SyncOptions {
  /** Client settings (retries, headers); `uri` comes from the second argument. */
  client?: Omit<ClientOptions, 'uri'>;
  /** Status for runs whose process died before end() (default KILLED); false leaves them RUNNING. */
  finishOrphans?: Exclude<RunStatus, 'FINISHED'> | false;
  log?: (line: string) => void;
}

export interface SyncReport {
  /** Journals fully replayed (and removed): local id -> server run id. */
  synced: { id: string; serverRunId: string; pendingDir: string }[];
  /** Runs whose process died, marked with finishOrphans. */
  orphans: { id: string; serverRunId: string; status: RunStatus }[];
  /** Journals of runs still running in a live process: left alone. */
  busy: string[];
  /** Replays that failed; their journals stay for the next sync. */
  failed: { id: string; error: string }[];
}

/**
 * Replays the journals under `dir`: `<dir>/mlflow-pending/<worker>/` for every worker (and journals lying
 * directly in `mlflow-pending/`, the layout before per-worker folders), and such folders up to three levels below
 * `dir`, so `results/` covers every grid. Safe to run again at any time, also after being interrupted: finished
 * journals are removed, the others resume where they stopped.
 */
export async function syncPending(dir: string, uri: string, opts: SyncOptions = {}): Promise<SyncReport> {
  const client = new MlflowClient({ ...opts.client, uri });
  const report: SyncReport = { synced: [], orphans: [], busy: [], failed: [] };
  try {
    for (const root of findPendingDirs(path.resolve(dir)))
      for (const pdir of journalDirs(root)) await syncJournalDir(client, pdir, report, opts);
  } catch (err) {
    if (!isUnreachable(err)) throw err; // already in report.failed: the server is gone, stop here
  }
  return report;
}

/**
 * Replays one worker folder's journals into `report`, parents before children, and marks runs whose process died
 * (a lock left by a dead pid) with finishOrphans. `resolveFirst` names server ids this caller already knows (a live
 * RestStore's own runs); `only`: just that run (and the runs it names). Throws MlflowUnreachableError when the server goes away (after recording it in `report`).
 */
export async function syncJournalDir(
  client: MlflowClient,
  pdir: string,
  report: SyncReport,
  opts: SyncOptions & { resolveFirst?: IdResolver; only?: string } = {},
): Promise<void> {
  const log = opts.log ?? (() => undefined);
  const finishOrphans = opts.finishOrphans ?? 'KILLED';
  const synced = readSynced(pdir);
  const visiting = new Set<string>();
  const done = new Set<string>();

  const resolve: IdResolver = async (id) => {
    if (!isLocalId(id)) return id;
    const known = synced.get(id) ?? readState(pdir, id)?.serverRunId ?? (await opts.resolveFirst?.(id));
    if (known !== undefined) return known;
    // the parent's journal sits beside this one: replay it first
    if (fs.existsSync(journalFile(pdir, id))) await syncOne(id);
    return synced.get(id) ?? readState(pdir, id)?.serverRunId;
  };

  const syncOne = async (id: string): Promise<void> => {
    if (done.has(id) || visiting.has(id)) return;
    visiting.add(id);
    try {
      if (lockOwner(pdir, id) === 'live') {
        report.busy.push(id);
        return;
      }
      const res = await replayRun(client, pdir, id, resolve);
      if (!res.ended) {
        // its process died before end(): nothing more will come
        if (finishOrphans === false) {
          log(
            `mlflow sync: run ${id} -> ${res.serverRunId} replayed; it never ended, left RUNNING (finishOrphans: ` +
              `false)`,
          );
          return;
        }
        await client.updateRun(res.serverRunId, finishOrphans, Math.floor(fs.statSync(journalFile(pdir, id)).mtimeMs));
        report.orphans.push({ id, serverRunId: res.serverRunId, status: finishOrphans });
      }
      await finishJournal(pdir, id, res.serverRunId, res.experimentId);
      await removeLock(pdir, id);
      synced.set(id, res.serverRunId);
      report.synced.push({ id, serverRunId: res.serverRunId, pendingDir: pdir });
      log(
        `mlflow sync: run ${id} -> ${res.serverRunId}${res.ended ? '' : ` (marked ${String(finishOrphans)}: its process died)`}`,
      );
    } catch (err) {
      report.failed.push({ id, error: (err as Error).message });
      log(`mlflow sync: run ${id} failed: ${(err as Error).message}`);
      if (isUnreachable(err)) throw err; // no point trying the other runs now
    } finally {
      visiting.delete(id);
      done.add(id);
    }
  };

  if (opts.only !== undefined) {
    // one run (and the runs it names), for a live store that needs its server id now
    if (fs.existsSync(journalFile(pdir, opts.only))) await syncOne(opts.only);
    return;
  }
  for (const id of listJournals(pdir)) await syncOne(id);
  // Runs that were online when their process died: a lock, no journal, still RUNNING on the server.
  if (finishOrphans === false) return;
  for (const id of listLocks(pdir)) {
    if (fs.existsSync(journalFile(pdir, id)) || lockOwner(pdir, id) !== 'dead') continue;
    // a local id here belongs to a run that came back online before its process died
    const serverRunId = isLocalId(id) ? synced.get(id) : id;
    try {
      if (serverRunId === undefined)
        throw new Error(
          `lock ${lockFile(pdir, id)} names a run that never reached the server and has no journal; delete the lock`,
        );
      const run = await client.getRun(serverRunId);
      if (run.info.status === 'RUNNING') {
        await client.updateRun(
          serverRunId,
          finishOrphans,
          lastActivity(run.data.metrics, run.info.start_time, pdir, id),
        );
        report.orphans.push({ id, serverRunId, status: finishOrphans });
        log(`mlflow sync: run ${id} was left RUNNING by a killed process: marked ${finishOrphans}`);
      }
      await removeLock(pdir, id);
    } catch (err) {
      report.failed.push({ id, error: (err as Error).message });
      if (isUnreachable(err)) throw err;
    }
  }
}

/** The journal folders of one `mlflow-pending` folder: each worker's sub-folder, and the folder itself. */
export function journalDirs(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  const subs = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.endsWith('.artifacts'))
    .map((e) => path.join(root, e.name))
    .sort();
  return [root, ...subs];
}

/** Every `local-... -> server id` mapping recorded under `dir`'s journal folders (see findPendingDirs). */
export function syncedIds(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const root of findPendingDirs(path.resolve(dir)))
    for (const pdir of journalDirs(root)) for (const [k, v] of readSynced(pdir)) out.set(k, v);
  return out;
}

/** `<dir>/mlflow-pending` and such folders up to three levels below (mlruns/ and node_modules/ skipped). */
export function findPendingDirs(dir: string, depth = 3): string[] {
  const out: string[] = [];
  if (path.basename(dir) === PENDING_DIR && fs.existsSync(dir)) return [dir];
  const walk = (d: string, level: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name === 'mlruns' || e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const sub = path.join(d, e.name);
      if (e.name === PENDING_DIR) out.push(sub);
      else if (level < depth) walk(sub, level + 1);
    }
  };
  walk(dir, 0);
  return out.sort();
}

/** Last sign of life of a run left RUNNING: its latest metric point, its start, or its lock file. */
function lastActivity(
  metrics: { timestamp: number }[] | undefined,
  startTime: number | undefined,
  pdir: string,
  id: string,
): number {
  let t = startTime ?? 0;
  for (const m of metrics ?? []) t = Math.max(t, m.timestamp);
  try {
    t = Math.max(t, Math.floor(fs.statSync(lockFile(pdir, id)).mtimeMs));
  } catch {
    // lock already gone
  }
  return t;
}
