// Offline journal of a REST-tracked run: when the MLflow server cannot be reached, every call of
// the run is appended to `<localDir>/mlflow-pending/<worker>/<runId>.jsonl` (artifacts copied beside it)
// and replayed later by syncPending. One folder per worker (host and pid, or PRUNELAB_WORKER_ID): workers on
// several machines may share a results folder and log to one server, and no two write one journal. Files per run id:
//   <id>.jsonl       the calls, one JSON object a line, first line the run header
//   <id>.state.json  replay progress (server run id, next request, whether one was in flight)
//   <id>.artifacts/  copies of the artifacts logged while offline
//   <id>.lock        {pid, host}: written at createRun, removed at end(); a lock whose process is gone
//                    marks a run killed half-way (a lock of another host cannot be checked: left alone)
// and synced.jsonl: local id -> server run id of every run already replayed.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';
import type { KeyValue, WireMetric } from './rest-types.ts';
import type { DatasetInput, RunStatus } from './tracker.ts';

export const PENDING_DIR = 'mlflow-pending';
export const SYNCED_FILE = 'synced.jsonl';
/** Run ids of runs created while offline; replaced by the server's id when synced. */
export const LOCAL_ID_PREFIX = 'local-';
/** Tag carrying the local id on the server, so a replay finds a run it created before being interrupted. */
export const TAG_CLIENT_RUN_ID = 'prunelab.client_run_id';

export interface RunHeader {
  op: 'run';
  /** The handle's runId: the server's run id when the run was created online, else `local-...`. */
  id: string;
  /** Set when the run already exists on the server (it went offline after createRun). */
  serverRunId?: string;
  artifactUri?: string;
  experimentId?: string;
  experimentName?: string;
  runName: string;
  startTime: number;
  userId?: string;
  /** All tags to create the run with, mlflow.parentRunId included (possibly a local id). */
  tags: Record<string, string>;
  parentId?: string;
}

export interface BatchEntry {
  op: 'batch';
  metrics: WireMetric[];
  params: KeyValue[];
  tags: KeyValue[];
  /** The call was being sent when the server went away: it may have been applied already. */
  uncertain?: boolean;
}

export interface ArtifactEntry {
  op: 'artifact';
  /** The copy, relative to the pending folder. */
  copy: string;
  artifactPath?: string;
  /** The original, absolute: named in a tag when the server cannot take artifacts. */
  source?: string;
}

export interface InputsEntry {
  op: 'inputs';
  datasets: DatasetInput[];
}

export interface EndEntry {
  op: 'end';
  status: RunStatus;
  endTime: number;
}

export type JournalEntry = RunHeader | BatchEntry | ArtifactEntry | InputsEntry | EndEntry;

export interface ReplayState {
  serverRunId?: string;
  experimentId?: string;
  artifactUri?: string;
  /** Next journal line to apply (0 = the header) and next request within it. */
  line: number;
  req: number;
  /** The request at (line, req) was sent but not acknowledged: it may have been applied. */
  inflight: boolean;
}

/** This process's worker id: PRUNELAB_WORKER_ID, else `<host>-<pid>`; only [A-Za-z0-9_.-] (a folder name). */
export function workerId(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.PRUNELAB_WORKER_ID?.trim() || `${os.hostname()}-${process.pid}`;
  return raw.replace(/[^\w.-]/g, '_').replace(/^\.+/, '_');
}

/** `<localDir>/mlflow-pending/<worker>`: the journal folder of one worker. */
export function pendingDir(localDir: string, worker: string = workerId()): string {
  return path.join(path.resolve(localDir), PENDING_DIR, worker);
}

export const journalFile = (dir: string, id: string): string => path.join(dir, `${id}.jsonl`);
export const stateFile = (dir: string, id: string): string => path.join(dir, `${id}.state.json`);
export const lockFile = (dir: string, id: string): string => path.join(dir, `${id}.lock`);
export const artifactsDir = (dir: string, id: string): string => path.join(dir, `${id}.artifacts`);

export async function writeLock(dir: string, id: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(lockFile(dir, id), JSON.stringify({ pid: process.pid, host: os.hostname(), since: Date.now() }));
}

export async function removeLock(dir: string, id: string): Promise<void> {
  await fsp.rm(lockFile(dir, id), { force: true });
}

/** 'none', 'live' (its process runs, or it runs on another host: no way to tell) or 'dead' (killed half-way). */
export function lockOwner(dir: string, id: string): 'none' | 'live' | 'dead' {
  let pid: number;
  try {
    const lock = JSON.parse(fs.readFileSync(lockFile(dir, id), 'utf8')) as { pid?: unknown; host?: unknown };
    if (typeof lock.host === 'string' && lock.host !== os.hostname()) return 'live';
    pid = Number(lock.pid);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    return 'dead'; // torn lock: written by a process killed mid-write
  }
  if (!Number.isInteger(pid) || pid <= 0) return 'dead';
  try {
    process.kill(pid, 0);
    return 'live';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'live' : 'dead';
  }
}

export async function appendEntry(
  dir: string,
  id: string,
  entry: JournalEntry,
  opts: { create?: boolean } = {},
): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  // the header opens a new file: 'wx' refuses to mix two runs into one journal
  await fsp.appendFile(journalFile(dir, id), `${JSON.stringify(entry)}\n`, { flag: opts.create ? 'wx' : 'a' });
}

/** Copies a file or folder into the run's journal folder; returns the copy's path relative to `dir`. */
export async function stashArtifact(dir: string, id: string, localPath: string): Promise<string> {
  const src = path.resolve(localPath);
  const stat = await fsp.stat(src).catch(() => undefined);
  if (!stat) throw new Error(`logArtifact: ${src} does not exist; pass an existing file or folder`);
  const base = artifactsDir(dir, id);
  await fsp.mkdir(base, { recursive: true });
  const seq = (await fsp.readdir(base)).length; // one numbered folder per call keeps the basename
  const dest = path.join(base, String(seq), path.basename(src));
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  await fsp.cp(src, dest, { recursive: true });
  return path.relative(dir, dest).split(path.sep).join('/');
}

/** The journal's entries. A torn last line (the process was killed mid-append) is dropped. */
export function readJournal(dir: string, id: string): JournalEntry[] {
  const file = journalFile(dir, id);
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const out: JournalEntry[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch (err) {
      const last = i === lines.length - 1; // no newline after it: the append never finished
      if (last) return;
      throw new Error(
        `${file}:${i + 1}: not a JSON journal entry (${(err as Error).message}); fix or delete that line, then sync ` +
          `again`,
      );
    }
  });
  const head = out[0];
  if (head?.op !== 'run')
    throw new Error(`${file}:1: the first line must be the run header ({"op":"run",...}); the journal is damaged`);
  return out;
}

export function readState(dir: string, id: string): ReplayState | undefined {
  const file = stateFile(dir, id);
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ReplayState;
  } catch (err) {
    throw new Error(
      `${file}: unreadable replay state (${(err as Error).message}); delete it to replay from the start (metric ` +
        `points are deduplicated)`,
    );
  }
}

export async function writeState(dir: string, id: string, state: ReplayState): Promise<void> {
  await writeFileAtomic(stateFile(dir, id), JSON.stringify(state));
}

/** Local ids of the runs with a journal in `dir`. */
export function listJournals(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl') && f !== SYNCED_FILE)
    .map((f) => f.slice(0, -'.jsonl'.length))
    .sort();
}

/** Run ids with a lock file in `dir`. */
export function listLocks(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.lock'))
    .map((f) => f.slice(0, -'.lock'.length))
    .sort();
}

export function readSynced(dir: string): Map<string, string> {
  const map = new Map<string, string>();
  const file = path.join(dir, SYNCED_FILE);
  if (!fs.existsSync(file)) return map;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const o = JSON.parse(line) as { id?: string; serverRunId?: string };
      if (o.id && o.serverRunId) map.set(o.id, o.serverRunId);
    } catch {
      // a torn last line: that run's files are still there and get synced again
    }
  }
  return map;
}

/** Records the mapping, then removes the run's journal files (not its lock). */
export async function finishJournal(
  dir: string,
  id: string,
  serverRunId: string,
  experimentId?: string,
): Promise<void> {
  await fsp.appendFile(
    path.join(dir, SYNCED_FILE),
    `${JSON.stringify({ id, serverRunId, experimentId, at: Date.now() })}\n`,
  );
  await fsp.rm(journalFile(dir, id), { force: true });
  await fsp.rm(stateFile(dir, id), { force: true });
  await fsp.rm(artifactsDir(dir, id), { recursive: true, force: true });
}
