// One job hash runs in one place at a time, whatever Redis says: a worker claims the hash in the shared results
// folder (results/<name>/.claims/<hash>.json, created with O_EXCL) before it starts the job's process, and keeps
// the claim's mtime fresh while the process runs. BullMQ already gives a job to one worker at a time; the claim
// covers what BullMQ cannot see: a Redis that lost its keys (FLUSHALL, a restart without persistence) while a job
// still runs, and a job process that outlives its killed worker for a moment.
// A claim is free when its holder is gone: on the same host, neither the worker's nor the job process's pid is
// alive; on another host, its mtime is older than `staleMs` (the holder stopped renewing it).
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ensureDir, insideResults, writeJsonAtomic } from '../files.ts';
import { alive } from '../job-state.ts';

export interface ClaimRecord {
  token: string;
  host: string;
  worker: string;
  workerPid: number;
  /** the job's process, once started */
  childPid?: number;
  since: string;
}

export const claimFile = (outDir: string, hash: string) => insideResults(outDir, join('.claims', `${hash}.json`));

/** Default staleness of another host's claim: a few renewals missed. */
export const CLAIM_STALE_MS = Number(process.env.PRUNELAB_CLAIM_STALE_MS ?? 30_000);

function read(file: string): ClaimRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ClaimRecord;
  } catch {
    return undefined;
  }
}

/** Whether the holder of `c` (written to `file`) is gone. */
function gone(file: string, c: ClaimRecord | undefined, staleMs: number): boolean {
  if (!c) return true; // unreadable: a half-written claim of a killed process
  if (c.host === hostname()) return !alive(c.workerPid) && !(c.childPid && alive(c.childPid));
  try {
    return Date.now() - statSync(file).mtimeMs > staleMs;
  } catch {
    return true;
  }
}

export interface Claim {
  record: ClaimRecord;
  /** keep it fresh (call every few seconds) */
  renew(): void;
  /** note the job's process pid in it */
  setChild(pid: number): void;
  release(): void;
}

/** Claim `hash`; undefined when a live holder has it (its record is in `holder`). */
export function tryClaim(
  outDir: string,
  hash: string,
  worker: string,
  staleMs = CLAIM_STALE_MS,
): { claim?: Claim; holder?: ClaimRecord } {
  const file = claimFile(outDir, hash);
  ensureDir(join(outDir, '.claims'));
  const record: ClaimRecord = {
    token: `${hostname()}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    host: hostname(),
    worker,
    workerPid: process.pid,
    since: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, JSON.stringify(record));
      } finally {
        closeSync(fd);
      }
      return { claim: handle(file, record) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = read(file);
    if (!gone(file, held, staleMs)) return { ...(held && { holder: held }) };
    // a dead holder's claim: moved aside (one of several stealers wins the rename), then claimed afresh
    try {
      renameSync(file, `${file}.stale-${record.token}`);
      rmSync(`${file}.stale-${record.token}`, { force: true });
    } catch {
      // another worker moved it first
    }
  }
  const held = read(file);
  return { ...(held && { holder: held }) };
}

function handle(file: string, record: ClaimRecord): Claim {
  const mine = () => read(file)?.token === record.token;
  return {
    record,
    renew: () => {
      const now = new Date();
      try {
        if (mine()) utimesSync(file, now, now);
      } catch {
        // a folder removed under us (clean): the job's process fails on its own writes
      }
    },
    setChild: (pid) => {
      record.childPid = pid;
      if (mine()) writeJsonAtomic(file, record);
    },
    release: () => {
      if (mine()) rmSync(file, { force: true });
    },
  };
}
