#!/usr/bin/env node
// The experiments CLI: run, status, report, clean and sync for one experiment config.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cliOverrides, ConfigError, didYouMean, loadConfig, sameSource } from './config.ts';
import { explainFsError, removeResults } from './files.ts';
import { PeftConfigError } from './peft.ts';
import { expandGrid } from './grid.ts';
import { describePlan } from './plan.ts';
import { checkBuilds, currentBuild } from './provenance.ts';
import { pretrain } from './pretrain.ts';
import { loadPretrainConfig } from './pretrain-config.ts';
import { writeReport } from './report.ts';
import { outDirOf, type RunOutcome, runExperiment } from './run.ts';
import type { ExperimentConfig } from './schema.ts';
import { syncJournal } from './tracking.ts';
import { readModelWeights, weightLines } from './weights.ts';
import { dataLines, readDataStates } from './data-digest.ts';

const USAGE = `usage: experiments <command> <config.yaml> [--set key=value ...] [options]

  run      phase 1 score runs -> H-scores and subsets -> phase 2 -> report; finished jobs
           (same content hash) are skipped, a killed training job resumes from its last snapshot
           --dry-run   print the expanded grid and its estimated cost, run nothing
           --queue redis://host:port   coordinate: enqueue the jobs for workers, wait, write the report
  worker   --queue redis://host:port [--concurrency N]: run queued jobs (no config), each in its own
           process; one worker per GPU (CUDA_VISIBLE_DEVICES); every worker must see the results folder
  retry    <config> --queue URL --failed: put the grid's failed jobs back in the queue and coordinate to the end
  cancel   <config> --queue URL: no more jobs of the grid are enqueued; queued ones removed, running ones finish
  status   [--queue URL: waiting, active (worker, since, progress), failed (error), blocked (by which job)]
           which jobs are done, pending, failed or stale (config, data or model weights changed since, and which;
           with run.numeric_build: strict also the numeric build), and the build this machine uses
  report   re-render report.md, report.html, tables and plots from the finished jobs
  clean    remove results/<name>/ of this config (needs --yes)
  sync     replay the offline MLflow journal to $MLFLOW_TRACKING_URI
  pretrain pretrain a tiny OPT causal LM from a pretrain config (experiments/pretrain-opt.yaml);
           resumable, a finished run is a no-op.  --dry-run  print the resolved config only

  --set k=v      override a config value, e.g. --set phase2.lr=1e-5 --set phase1.seeds=[1,2,3]
  --lenient      skip malformed data rows (each reported) instead of stopping: --set data.lenient=true
  --models a,b   only these entries of models: (run the grid model by model; finished jobs are
                 reused by the full run, since a job's hash holds only its own model)

Configs: experiments/*.yaml (schema: experiments/README.md). npm start runs experiments/start.yaml.`;

/** The experiment's folder once known: where a write error without a path happened. */
let resultsDir: string | undefined;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      set: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
      'dry-run': { type: 'boolean' },
      models: { type: 'string' },
      yes: { type: 'boolean', short: 'y' },
      lenient: { type: 'boolean' },
      queue: { type: 'string' },
      concurrency: { type: 'string' },
      failed: { type: 'boolean' },
    },
  });
  const [command, file] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const commands = ['run', 'status', 'report', 'clean', 'sync', 'pretrain', 'worker', 'retry', 'cancel'];
  if (!commands.includes(command)) {
    console.error(`experiments: unknown command '${command}'; commands: ${commands.join(', ')}\n\n${USAGE}`);
    return 2;
  }
  if (command === 'worker') return worker(values.queue, values.concurrency);
  if ((command === 'retry' || command === 'cancel') && !values.queue) {
    console.error(`experiments ${command}: needs --queue redis://host:port, the Redis of the grid's workers`);
    return 2;
  }
  if (!file) {
    console.error(`experiments: ${command} needs a config file, e.g. experiments ${command} experiments/smoke.yaml`);
    return 2;
  }
  if (command === 'pretrain') {
    const pcfg = loadPretrainConfig(file, values.set ?? []);
    if (values['dry-run']) {
      console.log(JSON.stringify(pcfg, null, 2));
      return 0;
    }
    await pretrain(pcfg);
    return 0;
  }
  const cfg = onlyModels(loadConfig(file, cliOverrides(values)), values.models);
  const outDir = outDirOf(cfg);
  resultsDir = outDir;
  if (values.queue && command !== 'run' && command !== 'status' && command !== 'retry' && command !== 'cancel')
    throw new ConfigError(`--queue: '${command}' does not use the queue; drop --queue`);
  if (command === 'status' && values.queue) {
    const { queueStatus } = await import('./queue/ops.ts');
    console.log(await queueStatus(cfg, values.queue));
    return 0;
  }
  if (command === 'cancel') {
    const { cancelGrid } = await import('./queue/ops.ts');
    console.log(await cancelGrid(cfg, values.queue!));
    return 0;
  }
  if (command === 'retry') {
    if (!values.failed) {
      console.error('experiments retry: say what to retry: --failed (the failed jobs of the grid)');
      return 2;
    }
    const { retryFailed } = await import('./queue/ops.ts');
    return reportOutcome(await retryFailed(cfg, values.queue!));
  }
  if ((command === 'run' && values['dry-run']) || command === 'status') {
    console.log(await plan(cfg, outDir));
    return 0;
  }
  if (command === 'run' && values.queue) {
    // BullMQ and ioredis are loaded here only: the in-process run needs no Redis
    const { coordinate } = await import('./queue/coordinator.ts');
    return reportOutcome(await coordinate(cfg, values.queue));
  }
  if (command === 'run') return reportOutcome(await runExperiment(cfg));
  if (command === 'report') {
    const data = await readDataStates(cfg, { download: false });
    const out = await writeReport(cfg, outDir, expandGrid(cfg, readModelWeights(cfg), data));
    console.log(`report: ${out.report}${cfg.al ? '' : ` (${out.rows.length} rows)`}\nhtml:   ${out.html}`);
    return 0;
  }
  if (command === 'clean') {
    if (!existsSync(outDir)) {
      console.log(`${outDir}: nothing to remove`);
      return 0;
    }
    if (!values.yes) {
      console.error(
        `experiments clean: this removes ${outDir} (every job, record, report and mlruns/ of '${cfg.name}'); rerun ` +
          `with --yes`,
      );
      return 1;
    }
    removeResults(resolve(cfg.output.dir), outDir);
    console.log(`removed ${outDir}`);
    return 0;
  }
  const report = await syncJournal(outDir, (l) => console.log(l));
  if (!report) {
    console.error(
      'experiments sync: set MLFLOW_TRACKING_URI=http(s)://host:port to the server the journal should go to; ' +
        `without one, runs are in the local file store ${outDir}/mlruns`,
    );
    return 1;
  }
  console.log(
    `synced ${report.synced.length} run(s), ${report.orphans.length} orphan(s) marked KILLED, ${report.busy.length} ` +
      `still running elsewhere, ${report.failed.length} failed` +
      report.failed.map((f) => `\n  ${f.id}: ${f.error}`).join(''),
  );
  return report.failed.length ? 1 : 0;
}

function reportOutcome(out: RunOutcome & { cancelled?: boolean }): number {
  console.log(`\nreport: ${out.report}\nhtml:   ${out.html}\ntables: ${out.csv}\nmlflow: ${out.mlruns}`);
  return out.failed.length || out.cancelled ? 1 : 0;
}

/** `experiments worker`: runs until SIGINT or SIGTERM, which stop its job processes (their jobs go back to the queue). */
async function worker(url: string | undefined, concurrency: string | undefined): Promise<number> {
  if (!url) {
    console.error('experiments worker: needs --queue redis://host:port, the Redis the coordinator enqueues to');
    return 2;
  }
  const n = concurrency === undefined ? 1 : Number(concurrency);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`--concurrency: '${concurrency}' is not a whole number >= 1; jobs at once in this worker`);
  const { startWorker } = await import('./queue/worker.ts');
  const w = await startWorker(url, { concurrency: n });
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      console.log(`worker ${w.name}: ${sig}, stopping (running jobs go back to the queue)`);
      void w.close(true).then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

/** The config restricted to the models named by --models (comma-separated). */
function onlyModels(cfg: ExperimentConfig, list: string | undefined): ExperimentConfig {
  if (list === undefined) return cfg;
  const names = list
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const known = Object.keys(cfg.models);
  for (const n of names) {
    if (!known.includes(n))
      throw new ConfigError(
        `--models: '${n}' is not a model of ${cfg.name}${didYouMean(n, known)}; models: ${known.join(', ')}`,
      );
  }
  if (cfg.pruning.transfer.length)
    throw new ConfigError(`--models: ${cfg.name} has pruning.transfer between models; run it whole`);
  const models = Object.fromEntries(Object.entries(cfg.models).filter(([n]) => names.includes(n)));
  return sameSource(cfg, { ...cfg, models });
}

/** status and --dry-run: the grid from the model folders as they are, against the build `run` would use. */
async function plan(cfg: ExperimentConfig, outDir: string): Promise<string> {
  const { build, backend: chosen, line } = await currentBuild(cfg);
  const weights = readModelWeights(cfg);
  const data = await readDataStates(cfg, { download: false }); // never downloads: data not on disk is pending
  const grid = expandGrid(cfg, weights, data);
  const check = build ? checkBuilds(outDir, grid, build, cfg.run.numeric_build) : undefined;
  const backend = chosen ?? process.env.PRUNELAB_BACKEND ?? (cfg.run.backend === 'auto' ? 'wasm' : cfg.run.backend);
  return describePlan(cfg, grid, outDir, backend, {
    ...(check && { check }),
    notes: [line, ...weightLines(cfg, weights), ...dataLines(cfg, data)],
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    // Configuration and input errors already say where and how to fix: print them without a stack trace.
    // an fs error that reached here unexplained (a library's write): name the path and the cause (disk full, ...)
    e = explainFsError(e, resultsDir ? `under ${resultsDir}` : 'a file');
    const msg = e instanceof Error ? e.message : String(e);
    const configError = e instanceof ConfigError || e instanceof PeftConfigError;
    console.error(`experiments: ${configError ? '' : 'error: '}${msg}`);
    if (process.env.DEBUG && e instanceof Error) console.error(e.stack);
    process.exit(1);
  },
);
