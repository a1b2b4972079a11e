// What the distributed tests and the queue benchmark share: a tiny grid on real SST-2 sentences and a random
// one-layer BERT, and CLI processes (coordinators, workers) with their output kept and a way to kill them.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTinyModel } from '../tiny-model.ts';

const ROOT = join(import.meta.dirname, '../../../..');
const MAIN = join(import.meta.dirname, '../main.ts');
const TINY = { hidden_size: 32, num_hidden_layers: 1, intermediate_size: 64, num_attention_heads: 2 };

/** A config of 3 phase-1 runs, their scores and 3 phase-2 runs (7 jobs) under `dir`; returns its path. */
export async function tinyGrid(
  dir: string,
  name: string,
  opts: {
    results?: string;
    trainSize?: number;
    epochs?: number;
    seeds?: number[];
    checkpointEvery?: number;
    extra?: string[];
  } = {},
): Promise<string> {
  const model = join(dir, 'model');
  await ensureTinyModel(model, { seed: 1, overrides: TINY });
  const file = join(dir, `${name}.yaml`);
  const epochs = opts.epochs ?? 2;
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'tasks: [sst2]',
      `data: { train_size: ${opts.trainSize ?? 160}, dev_size: 64, seed: 3, allow_download: false, max_length: 24 }`,
      'models:',
      `  a: { path: ${model}, generate_if_missing: false }`,
      `phase1: { seeds: [${(opts.seeds ?? [1, 2, 3]).join(', ')}], epochs: ${epochs}, lr: 2.0e-3, batch_size: 16, checkpoint_every: ${opts.checkpointEvery ?? 4} }`,
      'phase2: { seeds: [7], epochs: 1, lr: 2.0e-3, batch_size: 16, methods: [full, hscore, random] }',
      'pruning: { subsets: [winning] }',
      `output: { dir: ${opts.results ?? join(dir, 'results')} }`,
      ...(opts.extra ?? []),
      '',
    ].join('\n'),
  );
  return file;
}

export interface CliProcess {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved */
  output(): string;
  /** every complete line with the time it arrived here (ms, performance.now()) */
  lines: { t: number; line: string }[];
  /** resolves when the output matches (checked on every chunk) */
  waitFor(re: RegExp): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
}

/** `experiments <args>` in its own process (CI=1: progress lines as log lines), from the repository root. */
export function cli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, CI: '1', PRUNELAB_THREADS: '1', ...env },
  });
  let text = '';
  const lines: { t: number; line: string }[] = [];
  let partial = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const onData = (b: Buffer) => {
    text += b.toString();
    const t = performance.now();
    const parts = (partial + b.toString()).split('\n');
    partial = parts.pop()!;
    for (const line of parts) lines.push({ t, line });
    for (const w of [...waiters])
      if (w.re.test(text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) =>
    child.on('close', (code, signal) => {
      for (const w of waiters) w.resolve(); // the test's own assertions then say what was missing
      resolve({ code, signal, output: text });
    }),
  );
  return {
    child,
    output: () => text,
    lines,
    waitFor: (re) =>
      re.test(text) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ re, resolve })),
    exited,
  };
}

/** done.json mtimes by job folder (relative to outDir). */
export function doneMarkers(outDir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== 'mlruns' && e.name !== '.claims') walk(join(d, e.name));
      else if (e.name === 'done.json') out.set(d.slice(outDir.length + 1), statSync(join(d, e.name)).mtimeMs);
    }
  };
  walk(outDir);
  return out;
}

/** `worker <name>: start <id>` lines of worker outputs: how often each job was started. */
export function starts(outputs: string[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const o of outputs)
    for (const m of o.matchAll(/^worker \S+: start (\S+) /gm)) n.set(m[1]!, (n.get(m[1]!) ?? 0) + 1);
  return n;
}

/** The files a grid's result is judged by: summary, scores and subset files, relative to outDir. */
export function resultFiles(outDir: string): Map<string, string> {
  const files = ['summary.csv', 'sst2/a/scores/all/scores.csv'];
  const subsets = join(outDir, 'sst2/a/scores/all/subsets');
  for (const f of readdirSync(subsets).sort()) files.push(`sst2/a/scores/all/subsets/${f}`);
  return new Map(files.map((f) => [f, readFileSync(join(outDir, f), 'utf8')]));
}
