// A job's folder and what it says about the job: job.json (what it is), log.txt, metrics.jsonl (one line per
// epoch), done.json (written last, atomically: its presence with the current hash means finished), failed.json;
// training jobs add timing.jsonl and, while unfinished, their training snapshot (train-job.ts).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { NumericBuild } from '@prunelab/finetune';
import type { DataRecord } from './data-digest.ts';
import { appendText, ensureDir, insideResults, writeJsonAtomic } from './files.ts';
import type { Job } from './grid.ts';

export { writeJsonAtomic };

export type JobStatus = 'done' | 'failed' | 'running' | 'pending' | 'stale';

export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Whether a process id is alive (EPERM: alive, owned by someone else). */
export function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A job's folder: always strictly inside the experiment's folder (startJob wipes it). */
export const jobDir = (outDir: string, job: Job) => insideResults(outDir, join(outDir, job.id));

/**
 * `build`: the numeric build that made the job (absent in markers written before it was recorded); `data` and
 * `weights`: the data record and model digest its key had (training jobs; status names the part that changed).
 */
export interface DoneMarker {
  hash: string;
  finishedAt: string;
  seconds: number;
  mlflowRunId?: string;
  result?: unknown;
  build?: NumericBuild;
  data?: DataRecord | null;
  weights?: string | null;
  /** training jobs: model-steps (one model, one optimizer step = 1), every model the job trained counted */
  modelSteps?: number;
}

/** Where a training job keeps its final weights for a graft job: a Hugging Face model folder (train-job.ts). */
export const FINAL_WEIGHTS = 'final';

/** A run a graft job reads whose kept weights are not there (finished before grafting asked, or removed). */
export const keptWeightsMissing = (dir: string, job: Job): boolean =>
  'keepWeights' in job && job.keepWeights === true && !existsSync(join(dir, FINAL_WEIGHTS, 'model.safetensors'));

export function readDone<T = unknown>(outDir: string, job: Job): (DoneMarker & { result?: T }) | undefined {
  if (job.weightsMissing || job.dataMissing) return undefined;
  const d = readJson<DoneMarker & { result?: T }>(join(jobDir(outDir, job), 'done.json'));
  return d && d.hash === job.hash ? d : undefined;
}

/** `staleByBuild`: finished jobs to redo because another numeric build made them (run.numeric_build: strict). */
export function jobStatus(outDir: string, job: Job, staleByBuild?: ReadonlySet<string>): JobStatus {
  // its hash is a placeholder until the model folder is made and the data read
  if (job.weightsMissing || job.dataMissing) return 'pending';
  const dir = jobDir(outDir, job);
  const done = readJson<DoneMarker>(join(dir, 'done.json'));
  if (done?.hash === job.hash) {
    // a run a graft reads keeps its weights; one finished before a graft asked for them trains again to make them
    if (keptWeightsMissing(dir, job)) return 'stale';
    return staleByBuild?.has(job.id) ? 'stale' : 'done';
  }
  const failed = readJson<{ hash: string }>(join(dir, 'failed.json'));
  if (failed?.hash === job.hash) return 'failed';
  const started = readJson<{ hash: string; pid: number }>(join(dir, 'job.json'));
  if (started?.hash === job.hash && started.pid !== process.pid && alive(started.pid)) return 'running';
  return done ? 'stale' : 'pending';
}

/**
 * Start (or restart) a job: an unfinished folder is wiped so a killed job restarts from a clean state, unless
 * `resumeFrom` (a training snapshot, relative to the folder) exists there and job.json has this job's hash: then the
 * folder is kept for the job to resume (see train-job.ts).
 */
export function startJob(outDir: string, job: Job, extra: Record<string, unknown>, resumeFrom?: string): string {
  const dir = jobDir(outDir, job);
  const sameJob = readJson<{ hash: string }>(join(dir, 'job.json'))?.hash === job.hash;
  const resume = resumeFrom !== undefined && existsSync(join(dir, resumeFrom)) && sameJob;
  if (!resume) rmSync(dir, { recursive: true, force: true });
  ensureDir(dir);
  writeJsonAtomic(join(dir, 'job.json'), { ...job, ...extra, startedAt: new Date().toISOString(), pid: process.pid });
  return dir;
}

export function jobLogger(dir: string, echo: (line: string) => void): (line: string) => void {
  return (line) => {
    appendText(join(dir, 'log.txt'), `${new Date().toISOString()} ${line}\n`);
    echo(line);
  };
}

export function appendMetrics(dir: string, row: Record<string, unknown>): void {
  appendText(join(dir, 'metrics.jsonl'), JSON.stringify(row) + '\n');
}

export function finishJob(dir: string, marker: DoneMarker): void {
  rmSync(join(dir, 'failed.json'), { force: true });
  writeJsonAtomic(join(dir, 'done.json'), marker);
}

export function failJob(dir: string, job: Job, error: unknown): void {
  ensureDir(dir);
  writeJsonAtomic(join(dir, 'failed.json'), {
    hash: job.hash,
    error: error instanceof Error ? error.message : String(error),
    at: new Date().toISOString(),
  });
}

export const exists = existsSync;
