// What every job of one `run` shares: the config, where results go, MLflow, the prepared cells, logging.
import { buildTags, type NumericBuild } from '@prunelab/finetune';
import type { Cell } from './cell.ts';
import type { Job } from './grid.ts';
import type { ExperimentConfig } from './schema.ts';
import type { RunHandle, Tracking } from './tracking.ts';

export interface JobEnv {
  cfg: ExperimentConfig;
  outDir: string;
  backend: string;
  /** the numeric build of this process: into records' headers, job.json, done.json and MLflow tags */
  build: NumericBuild;
  /** finished jobs to redo because another build made them (run.numeric_build: strict) */
  staleByBuild: ReadonlySet<string>;
  tracking: Tracking;
  /** the grid's MLflow run (only its id: a queue worker's job process does not hold it open) */
  parent: Pick<RunHandle, 'runId'>;
  cell(job: Job): Promise<Cell>;
  log: (line: string) => void;
  /** where progress lines go (stdout by default) */
  out: (text: string) => void;
  /** "[3/12]" style position of a job in the run, for log lines */
  position(job: Job): string;
}

/** Tags every job's MLflow run carries. */
export function jobTags(env: JobEnv, job: Job, extra: Record<string, string>, commit: string): Record<string, string> {
  return {
    task: job.task,
    model: job.model,
    phase: job.kind === 'phase1' ? '1' : job.kind === 'phase2' ? '2' : job.kind,
    job: job.id,
    job_hash: job.hash,
    ...buildTags(env.build),
    backend: env.backend,
    'mlflow.source.git.commit': commit,
    git_commit: commit,
    ...extra,
  };
}
