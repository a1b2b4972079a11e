import { randomInt, randomUUID } from 'node:crypto';

/** MLflow run ids: 32 lowercase hex characters (uuid4().hex). */
export function newRunId(): string {
  return randomUUID().replaceAll('-', '');
}

/** MLflow 2.x file store experiment ids: a random 18-digit integer, as a string, no leading zero. */
export function newExperimentId(): string {
  let id = String(randomInt(1, 10));
  for (let i = 1; i < 18; i++) id += String(randomInt(0, 10));
  return id;
}
