// One experiment end to end: data -> model -> phase 1 (score runs) -> H-score and subsets -> phase 2 ->
// report, with every stage logged to MLflow. Finished jobs are found by content hash and reused on a rerun.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encodeExamples, findRepoRoot, loadSentimentTask, WordPieceTokenizer } from '@prunelab/data';
import { chooseBackend } from '@prunelab/finetune';
import { FileStore, flattenParams } from '@prunelab/tracking';
import type { RunContext } from './context.ts';
import { scoreRun } from './phase1.ts';
import { subsetRun, type Phase2Result } from './phase2.ts';
import { writeReport } from './report.ts';
import type { ExperimentConfig } from './schema.ts';
import { buildSubsets } from './subsets.ts';
import { ensureTinyModel } from './tiny-model.ts';

const hash = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 16);

export interface RunOutcome { outDir: string; report: string; plots: string[]; mlruns: string; results: Phase2Result[] }

export async function runExperiment(cfg: ExperimentConfig, log: (line: string) => void = console.log): Promise<RunOutcome> {
  const started = performance.now();
  const root = findRepoRoot();
  const backend = await chooseBackend(cfg.model.backend);
  log(`backend: ${backend.name} (tried ${backend.tried.map((t) => `${t.name}${t.ok ? '' : ' (unavailable)'}`).join(', ')})`);

  const outDir = resolve(cfg.output.dir, cfg.name);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');

  const data = await loadSentimentTask({
    task: cfg.task, dataRoot: cfg.data.root ?? undefined, cacheDir: join(root, '.cache', 'data'), trainSize: cfg.data.train_size,
    devSize: cfg.data.dev_size ?? undefined, seed: cfg.data.seed, allowDownload: cfg.data.allow_download, lenient: cfg.data.lenient,
  });
  log(`data: ${data.description}`);
  for (const w of data.warnings) log(`warning: ${w}`);

  const modelDir = resolve(cfg.model.path);
  if (!existsSync(join(modelDir, 'config.json'))) {
    if (!cfg.model.generate_if_missing) {
      throw new Error(`model folder ${modelDir} has no config.json; set model.path to a Hugging Face model folder ` +
        'or set model.generate_if_missing: true to create a random tiny BERT there');
    }
    await ensureTinyModel(modelDir, { seed: cfg.model.init_seed });
    log(`model: created a random tiny BERT in ${modelDir}`);
  }
  const tokenizer = WordPieceTokenizer.fromFile(join(modelDir, 'tokenizer.json'));
  const train = encodeExamples(tokenizer, data.train, cfg.model.max_length);
  const dev = encodeExamples(tokenizer, data.dev, cfg.model.max_length);

  const tracker = new FileStore(join(outDir, 'mlruns'));
  const experimentId = await tracker.getOrCreateExperiment(cfg.name);
  const parent = await tracker.createRun(experimentId, { runName: `${cfg.name}-grid`, tags: { task: cfg.task, model: modelDir, backend: backend.name, data_source: data.source } });
  await parent.logParams(flattenParams(cfg as unknown as Record<string, unknown>));

  const trainIds = data.train.map((e) => e.id);
  const ctx: RunContext = {
    cfg, outDir, data, train, dev, modelDir, backend: backend.name, tracker, experimentId, parent, log, trainIds,
    configHash: hash({ task: cfg.task, data: cfg.data, model: cfg.model, phase1: cfg.phase1, ids: trainIds }),
    phase2Hash: hash({ ...cfg, name: undefined, output: undefined, ids: trainIds }),
  };
  try {
    const recordDirs: string[] = [];
    for (const [r, seed] of cfg.phase1.seeds.entries()) recordDirs.push((await scoreRun(ctx, r, seed)).dir);

    const subsets = buildSubsets(ctx, recordDirs);
    log(`H-score histogram (H = 0..${subsets.R}): ${subsets.histogram.join(' / ')}; ` +
      `subset ${subsets.name} keeps ${subsets.ids.hscore.length} of ${train.n} (${((100 * subsets.ids.hscore.length) / train.n).toFixed(1)}%)`);
    await parent.logMetrics({ hscore_subset_size: subsets.ids.hscore.length, hscore_subset_fraction: subsets.ids.hscore.length / train.n });

    const results: Phase2Result[] = [];
    for (const method of cfg.phase2.methods) {
      for (const seed of cfg.phase2.seeds) results.push(await subsetRun(ctx, method, seed, subsets.ids[method]));
    }
    const wall = (performance.now() - started) / 1000;
    const { report, plots } = await writeReport(ctx, subsets, results, wall);
    for (const f of [report, join(outDir, 'summary.csv'), ...plots]) await parent.logArtifact(f, f.includes('/plots/') ? 'plots' : undefined);
    await parent.logArtifact(join(outDir, 'subsets')); // a folder lands as artifacts/subsets/
    await parent.end('FINISHED');
    return { outDir, report, plots, mlruns: join(outDir, 'mlruns'), results };
  } catch (e) {
    await parent.end('FAILED');
    throw e;
  }
}
