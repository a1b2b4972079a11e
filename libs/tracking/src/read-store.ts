// Synchronous reader of an MLflow file store (`mlruns/`): tests check the layout with it, and
// reports/resume read finished runs back without a server.
import fs from 'node:fs';
import path from 'node:path';
import { META_FILE, TRASH_DIR, localArtifactPath, readMetaYaml } from './meta-yaml.ts';
import { parsePythonFloat } from './python-float.ts';

export interface MetricPoint {
  timestamp: number;
  value: number;
  step: number;
}

export interface StoredRun {
  meta: Record<string, unknown>;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Every logged point per key, in file (logging) order. */
  metrics: Record<string, MetricPoint[]>;
  /** Artifact files as '/'-separated paths relative to the run's artifact root, sorted. */
  artifacts: string[];
}

export interface StoredExperiment {
  id: string;
  name: string;
  lifecycleStage: string;
}

export function readRun(root: string, experimentId: string, runId: string): StoredRun {
  const runDir = path.join(root, experimentId, runId);
  const metaFile = path.join(runDir, META_FILE);
  if (!fs.existsSync(metaFile)) {
    throw new Error(
      `no run ${runId} in experiment ${experimentId} of ${root}: ${metaFile} does not exist; check the ids (listRuns ` +
        `lists them)`,
    );
  }
  const meta = readMetaYaml(metaFile);
  const params: Record<string, string> = {};
  for (const [key, file] of keyFiles(path.join(runDir, 'params'))) params[key] = fs.readFileSync(file, 'utf8');
  const tags: Record<string, string> = {};
  for (const [key, file] of keyFiles(path.join(runDir, 'tags'))) tags[key] = fs.readFileSync(file, 'utf8');
  const metrics: Record<string, MetricPoint[]> = {};
  for (const [key, file] of keyFiles(path.join(runDir, 'metrics'))) metrics[key] = readMetricFile(file);
  const uri = typeof meta.artifact_uri === 'string' ? meta.artifact_uri : '';
  const artifactDir = (uri && localArtifactPath(uri)) || path.join(runDir, 'artifacts');
  const artifacts = keyFiles(artifactDir)
    .map(([rel]) => rel)
    .sort();
  return { meta, params, tags, metrics, artifacts };
}

/** One metric file: `<timestamp_ms> <value> <step>` per line (old MLflow wrote no step: it is 0). */
export function readMetricFile(file: string): MetricPoint[] {
  const points: MetricPoint[] = [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const parts = line.trim().split(' ');
    const timestamp = Number(parts[0]);
    const value = parsePythonFloat(parts[1] ?? '');
    const step = parts.length === 3 ? Number(parts[2]) : 0;
    if (
      (parts.length !== 2 && parts.length !== 3) ||
      !Number.isInteger(timestamp) ||
      value === undefined ||
      !Number.isInteger(step)
    ) {
      throw new Error(`${file}:${i + 1}: malformed metric line '${line}'; expected '<timestamp_ms> <value> <step>'`);
    }
    points.push({ timestamp, value, step });
  });
  return points;
}

/** Run ids of an experiment, oldest start_time first (ties by id). */
export function listRuns(root: string, experimentId: string): string[] {
  const expDir = path.join(root, experimentId);
  if (!fs.existsSync(path.join(expDir, META_FILE))) {
    throw new Error(`no experiment ${experimentId} in ${root}: ${path.join(expDir, META_FILE)} does not exist`);
  }
  const runs: { id: string; start: number }[] = [];
  for (const entry of fs.readdirSync(expDir, { withFileTypes: true })) {
    const metaFile = path.join(expDir, entry.name, META_FILE);
    if (!entry.isDirectory() || !fs.existsSync(metaFile)) continue; // tags/ and stray folders
    const start = readMetaYaml(metaFile).start_time;
    runs.push({ id: entry.name, start: typeof start === 'number' ? start : 0 });
  }
  runs.sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return runs.map((r) => r.id);
}

/** Experiments of the store (or, with `deleted`, those moved to `.trash/`), sorted by id. */
export function listExperiments(root: string, opts: { deleted?: boolean } = {}): StoredExperiment[] {
  const dir = opts.deleted ? path.join(root, TRASH_DIR) : root;
  if (!fs.existsSync(dir)) return [];
  const out: StoredExperiment[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const metaFile = path.join(dir, entry.name, META_FILE);
    if (!entry.isDirectory() || entry.name === TRASH_DIR || !fs.existsSync(metaFile)) continue;
    const meta = readMetaYaml(metaFile);
    out.push({ id: entry.name, name: String(meta.name), lifecycleStage: String(meta.lifecycle_stage) });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function findExperimentByName(root: string, name: string): string | undefined {
  return listExperiments(root).find((e) => e.name === name && e.lifecycleStage === 'active')?.id;
}

/** Files under `dir` as ['a/b', absPath] pairs: a '/' in an MLflow key is a sub-folder. */
function keyFiles(dir: string, prefix = ''): [string, string][] {
  if (!fs.existsSync(dir)) return [];
  const out: [string, string][] = [];
  const entries = fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...keyFiles(abs, rel));
    else out.push([rel, abs]);
  }
  return out;
}
