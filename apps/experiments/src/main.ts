#!/usr/bin/env node
// The experiments CLI: `experiments run <config.yaml> [--set key=value ...]`.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { runExperiment } from './run.ts';

const USAGE = `usage: experiments run <config.yaml> [--set key=value ...]

  run     run the experiment: phase 1 score runs, H-score subsets, phase 2, report
          (finished jobs under results/<name>/ are reused; delete that folder to start over)
  --set   override a config value, e.g. --set phase2.lr=1e-5 --set phase1.seeds=[1,2,3]

The default experiment is experiments/smoke.yaml (npm start).`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { set: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } } });
  const [command, file] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (command !== 'run' || !file) {
    console.error(`experiments: ${command !== 'run' ? `unknown command '${command}'` : 'run needs a config file'}\n\n${USAGE}`);
    return 2;
  }
  const cfg = loadConfig(file, values.set ?? []);
  const out = await runExperiment(cfg);
  console.log(`\nreport: ${out.report}\nplots:  ${out.plots.filter((p) => p.endsWith('.png') || p.endsWith('.svg')).join(', ')}\nmlruns: ${out.mlruns}`);
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
  // Configuration and input errors already say where and how to fix: print them without a stack trace.
  const msg = e instanceof Error ? e.message : String(e);
  console.error(`experiments: ${e instanceof ConfigError ? '' : 'error: '}${msg}`);
  if (process.env.DEBUG && e instanceof Error) console.error(e.stack);
  process.exit(1);
});
