// What every job of one `run` shares: the config, where results go, MLflow, the prepared cells, logging.
import type { Cell } from './cell.ts';
import type { Job } from './grid.ts';
import type { ExperimentConfig } from './schema.ts';
import type { RunHandle, Tracking } from './tracking.ts';

export interface JobEnv {
  cfg: ExperimentConfig;
  outDir: string;
  backend: string;
  tracking: Tracking;
  parent: RunHandle;
  cell(job: Job): Promise<Cell>;
  log: (line: string) => void;
  /** where progress lines go (stdout by default) */
  out: (text: string) => void;
  /** "[3/12]" style position of a job in the run, for log lines */
  position(job: Job): string;
}

/** Tags every job's MLflow run carries. */
export function jobTags(env: JobEnv, job: Job, extra: Record<string, string>, commit: string): Record<string, string> {
  return { task: job.task, model: job.model, phase: job.kind === 'phase1' ? '1' : '2', job: job.id, job_hash: job.hash, backend: env.backend, 'mlflow.source.git.commit': commit, git_commit: commit, ...extra };
}

/** Settings the training loop cannot honour yet stop the job with the reason. */
export function checkTrainable(job: Job, phase: 'phase1' | 'phase2'): void {
  // SEAM(libs/finetune gradient accumulation): RACE in the paper uses batch 2 x 8 accumulation steps.
  if (job.settings[phase].grad_accum !== 1) {
    throw new Error(`${phase}.grad_accum = ${job.settings[phase].grad_accum} for ${job.task}: libs/finetune has no gradient accumulation yet; ` +
      `set grad_accum: 1 with batch_size ${job.settings[phase].batch_size * job.settings[phase].grad_accum} if memory allows`);
  }
}
