// Where the sentiment data comes from. The order is: an explicit data root (config), then
// PRUNELAB_DATA, then ../shared/data beside the repository, then the download cache (downloading if
// allowed), and only then a synthetic task, with a warning saying so. An explicitly configured root
// that lacks SST-2 is an error: silently training on something else would make every number wrong.
import path from 'node:path';
import { downloadSst2, hasSst2 } from './download.ts';
import { findRepoRoot } from './repo-root.ts';
import { SST2_TASK, readSst2 } from './sst2.ts';
import { subsample } from './subsample.ts';
import { SYNTHETIC_TASK, syntheticSentiment } from './synthetic.ts';
import type { DataSource, LoadedTask } from './types.ts';

export interface SentimentTaskOptions {
  task: 'sst2';
  /** Folder that holds glue/SST-2/ (from the experiment config). */
  dataRoot?: string;
  /** Download cache; SST-2 lands in <cacheDir>/glue/SST-2/. */
  cacheDir: string;
  /** Training examples to keep (seeded subsample); Infinity keeps the whole split. */
  trainSize: number;
  /** Dev examples to keep; default: the whole dev split (872 for SST-2). */
  devSize?: number;
  seed: number;
  allowDownload?: boolean;
  fetchImpl?: typeof fetch;
  /** Skip malformed rows with a warning instead of failing. */
  lenient?: boolean;
  /** Where to look for ../shared/data; default: findRepoRoot(). */
  repoRoot?: string;
}

const fmt = (n: number) => n.toLocaleString('en-US');

function missingSst2(root: string, from: string): Error {
  // A common slip: pointing at the glue/ folder itself instead of the folder that contains it.
  const hint = hasSst2(root) ? ` (it holds SST-2/ directly: point it at the folder that contains glue/, e.g. ${path.dirname(root)})` : '';
  return new Error(
    `data root ${root} (${from}) does not contain ${path.join('glue', 'SST-2', 'train.tsv')} and dev.tsv${hint}; ` +
      `fix the path, or unset it to fall back to ../shared/data, the download cache or the synthetic task`,
  );
}

/** A path as the report should show it: relative to the repository when it is close by. */
function displayPath(p: string, repoRoot: string | undefined): string {
  if (!repoRoot) return p;
  const rel = path.relative(repoRoot, p);
  const ups = rel.split(path.sep).filter((s) => s === '..').length;
  return rel !== '' && !path.isAbsolute(rel) && ups <= 1 ? rel : p;
}

function tryRepoRoot(): string | undefined {
  try {
    return findRepoRoot();
  } catch {
    return undefined;
  }
}

export async function loadSentimentTask(opts: SentimentTaskOptions): Promise<LoadedTask> {
  if (opts.task !== 'sst2') throw new Error(`unknown sentiment task ${JSON.stringify(opts.task)}; supported: sst2`);
  if (!(opts.trainSize > 0)) throw new Error(`trainSize must be a positive number of examples, got ${opts.trainSize}`);
  if (opts.devSize !== undefined && !(opts.devSize > 0)) throw new Error(`devSize must be a positive number of examples, got ${opts.devSize}`);
  const warnings: string[] = [];
  const repoRoot = opts.repoRoot ?? tryRepoRoot();

  let root: string | undefined;
  let source: DataSource | undefined;
  const envRoot = process.env['PRUNELAB_DATA'];
  if (opts.dataRoot) {
    root = path.resolve(opts.dataRoot);
    if (!hasSst2(path.join(root, 'glue'))) throw missingSst2(root, 'dataRoot in the config');
    source = 'config';
  } else if (envRoot) {
    root = path.resolve(envRoot);
    if (!hasSst2(path.join(root, 'glue'))) throw missingSst2(root, 'environment variable PRUNELAB_DATA');
    source = 'env';
  } else if (repoRoot && hasSst2(path.resolve(repoRoot, '../shared/data/glue'))) {
    root = path.resolve(repoRoot, '../shared/data');
    source = 'shared';
  } else if (hasSst2(path.join(path.resolve(opts.cacheDir), 'glue'))) {
    root = path.resolve(opts.cacheDir);
    source = 'cache';
  } else if (opts.allowDownload !== false) {
    try {
      root = path.dirname(await downloadSst2(opts.cacheDir, opts.fetchImpl));
      source = 'cache';
    } catch (err) {
      warnings.push(`SST-2 download failed: ${(err as Error).message}`);
    }
  }

  if (root === undefined || source === undefined) {
    const devN = opts.devSize ?? 872;
    const trainN = Number.isFinite(opts.trainSize) ? opts.trainSize : 2000;
    const { train, dev } = syntheticSentiment({ train: trainN, dev: devN, seed: opts.seed });
    warnings.push(
      `SST-2 was not found (no dataRoot, PRUNELAB_DATA unset, no ../shared/data/glue/SST-2, nothing in ${opts.cacheDir}` +
        `${opts.allowDownload === false ? ', download disabled' : ''}): using a SYNTHETIC sentiment task; results are not comparable with the paper`,
    );
    return {
      task: SYNTHETIC_TASK,
      train,
      dev,
      source: 'synthetic',
      description: `synthetic two-class sentiment task (SST-2 not found): ${fmt(train.length)} generated training sentences, dev ${fmt(dev.length)} (seed ${opts.seed})`,
      warnings,
    };
  }

  const glueDir = path.join(root, 'glue');
  const lenient = opts.lenient ?? false;
  const fullTrain = readSst2(glueDir, 'train', { lenient });
  const fullDev = readSst2(glueDir, 'dev', { lenient });
  warnings.push(...fullTrain.warnings, ...fullDev.warnings);
  if (Number.isFinite(opts.trainSize) && opts.trainSize > fullTrain.examples.length) {
    warnings.push(`trainSize ${fmt(opts.trainSize)} exceeds the ${fmt(fullTrain.examples.length)} training sentences in ${fullTrain.file}: using all of them`);
  }
  const train = subsample(fullTrain.examples, opts.trainSize, opts.seed);
  // A different stream for dev so the two subsamples are not correlated by construction.
  const dev = opts.devSize === undefined ? fullDev.examples : subsample(fullDev.examples, opts.devSize, (opts.seed ^ 0x9e3779b9) >>> 0);

  const where = displayPath(root, repoRoot);
  const trainPart =
    train.length === fullTrain.examples.length
      ? `all ${fmt(train.length)} training sentences`
      : `${fmt(train.length)} of ${fmt(fullTrain.examples.length)} training sentences (seed ${opts.seed})`;
  const devPart = dev.length === fullDev.examples.length ? `dev ${fmt(dev.length)}` : `dev ${fmt(dev.length)} of ${fmt(fullDev.examples.length)}`;
  const dups = fullTrain.duplicates > 0 ? `; the train file repeats ${fmt(fullTrain.duplicates)} sentences (ids suffixed -2, -3, ...)` : '';
  return {
    task: SST2_TASK,
    train,
    dev,
    source,
    root,
    description: `SST-2 (GLUE TSV) from ${where}: ${trainPart}, ${devPart}${dups}`,
    warnings,
  };
}
