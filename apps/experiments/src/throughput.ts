// Measured training speed, kept between runs (.cache/throughput.json) so --dry-run can turn examples x epochs
// into a time estimate. Keyed by model folder, sequence length and backend, the things speed depends on, and the
// PEFT method when there is one (a frozen model trains at another speed; full fine-tuning keeps the older keys).
import { join } from 'node:path';
import { findRepoRoot } from '@prunelab/datasets';
import { readJson, writeJsonAtomic } from './job-state.ts';

export const throughputKey = (modelDir: string, maxLength: number, backend: string, peftMethod?: string) =>
  `${modelDir}|${maxLength}|${backend}${peftMethod ? `|${peftMethod}` : ''}`;

function file(): string {
  return join(findRepoRoot(), '.cache', 'throughput.json');
}

export function readThroughput(): Record<string, { examplesPerSecond: number; at: string }> {
  return readJson(file()) ?? {};
}

export function recordThroughput(key: string, examplesPerSecond: number): void {
  if (!(examplesPerSecond > 0)) return;
  const all = readThroughput();
  const old = all[key]?.examplesPerSecond;
  // a running mean: one short epoch (a small subset, a busy machine) moves the estimate only halfway
  all[key] = {
    examplesPerSecond: old ? (old + examplesPerSecond) / 2 : examplesPerSecond,
    at: new Date().toISOString(),
  };
  writeJsonAtomic(file(), all);
}
