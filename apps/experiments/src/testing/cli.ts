// The experiments CLI as the end-to-end tests run it: a child process (so SIGKILL is a real kill), CI=1 output,
// and an optional condition polled every 5 ms that kills it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readTrainStateInfo } from '@prunelab/finetune';
import { SNAPSHOT } from '../train-job.ts';

export const ROOT = join(import.meta.dirname, '../../../..');
const MAIN = join(import.meta.dirname, '..', 'main.ts');

export interface Cli {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout then stderr */
  out: string;
}

/** Run the CLI from the repo root; `killWhen` returning true SIGKILLs it. */
export function cli(args: string[], killWhen?: () => boolean, env: Record<string, string> = {}): Promise<Cli> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    const poll =
      killWhen &&
      setInterval(() => {
        if (child.exitCode === null && !child.killed && killWhen()) child.kill('SIGKILL');
      }, 5);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (poll) clearInterval(poll);
      resolve({ code, signal, stdout, stderr, out: stdout + stderr });
    });
  });
}

/** The job's snapshot stands inside an epoch after the first. */
export function midEpoch(jobDir: string): boolean {
  const info = readTrainStateInfo<{ epoch: number; position: number }>(join(jobDir, SNAPSHOT));
  return info !== undefined && info.loop.epoch >= 1 && info.loop.position > 0;
}
