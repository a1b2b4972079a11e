// One step of an active-learning curve: train on the labelled set, evaluate, score the unlabelled pool, query.
import type { JobEnv } from './env.ts';
import type { AlStepJob } from './grid.ts';

export async function runAlStep(_env: JobEnv, job: AlStepJob): Promise<never> {
  throw new Error(`${job.label}: AL steps are not implemented yet`);
}
