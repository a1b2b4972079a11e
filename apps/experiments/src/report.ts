// The experiment's report: a markdown table (method, subset size, dev accuracy), the same rows as CSV and JSON,
// and the charts as SVG + PNG.
import { writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { hscoreHistogramChart, subsetComparisonChart, writeChart } from '@prunelab/viz';
import type { RunContext } from './context.ts';
import type { Phase2Result } from './phase2.ts';
import type { Method } from './schema.ts';
import { meanStd } from './stats.ts';
import type { Subsets } from './subsets.ts';

export interface ReportRow { method: string; label: string; size: number; subsetPct: number; mean: number; std: number; n: number }

const LABELS: Record<Method, (s: Subsets) => string> = {
  full: () => 'full data',
  hscore: (s) => (s.removed.join() === [0, s.R].join() ? `winning ticket (H-score, remove ${s.name})` : `H-score (remove ${s.name})`),
  random: () => 'random (same size)',
};

export function reportRows(results: Phase2Result[], subsets: Subsets, methods: Method[]): ReportRow[] {
  return methods.map((method) => {
    const mine = results.filter((r) => r.method === method);
    const { mean, std, n } = meanStd(mine.map((r) => r.devAccuracy));
    const size = mine[0]?.size ?? subsets.ids[method].length;
    return { method, label: LABELS[method](subsets), size, subsetPct: (100 * size) / subsets.ids.full.length, mean, std, n };
  });
}

const pct = (x: number, digits = 2) => (100 * x).toFixed(digits);

/** A path as a reader of the report wants it: relative to where the command ran, when it is below it. */
function shown(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

export async function writeReport(ctx: RunContext, subsets: Subsets, results: Phase2Result[], wallSeconds: number): Promise<{ report: string; plots: string[] }> {
  const rows = reportRows(results, subsets, ctx.cfg.phase2.methods);
  const out = ctx.outDir;
  const title = `${ctx.data.task.name.toUpperCase()} · ${ctx.modelDir.split('/').pop()}`;
  const comparison = await writeChart(subsetComparisonChart(
    rows.map((r) => ({ method: r.label, subsetPct: r.subsetPct, metric: r.mean, metricName: 'dev accuracy', std: r.n > 1 ? r.std : undefined, n: r.n })),
    { title: `${title}: dev accuracy by training subset`, subtitle: `R = ${subsets.R} score runs x ${ctx.cfg.phase1.epochs} epochs; ${ctx.cfg.phase2.seeds.length} seed(s) per method` },
  ), join(out, 'plots', 'subset-comparison'));
  const histogram = await writeChart(hscoreHistogramChart(subsets.histogram, { title: `${title}: H-score histogram (${subsets.ids.full.length} training examples)`, removed: subsets.removed }),
    join(out, 'plots', 'hscore-histogram'));

  const seedsNote = ctx.cfg.phase2.seeds.length > 1 ? 'mean ± std over seeds' : `one seed (${ctx.cfg.phase2.seeds[0]})`;
  const lines = [
    `# ${ctx.cfg.name}: H-score pruning on ${ctx.data.task.name}`,
    '',
    `- data: ${ctx.data.description}`,
    ...ctx.data.warnings.map((w) => `- warning: ${w}`),
    `- model: ${shown(ctx.modelDir)} (backend ${ctx.backend}), max length ${ctx.cfg.model.max_length}`,
    `- phase 1: R = ${subsets.R} runs (seeds ${ctx.cfg.phase1.seeds.join(', ')}) x ${ctx.cfg.phase1.epochs} epochs, lr ${ctx.cfg.phase1.lr}, batch ${ctx.cfg.phase1.batch_size}; correctness from the training forward pass`,
    `- H-score histogram (H = 0..${subsets.R}): ${subsets.histogram.join(' / ')}`,
    `- phase 2: ${ctx.cfg.phase2.epochs} epochs, lr ${ctx.cfg.phase2.lr}, batch ${ctx.cfg.phase2.batch_size}, seeds ${ctx.cfg.phase2.seeds.join(', ')}`,
    `- wall time: ${(wallSeconds / 60).toFixed(1)} min`,
    '',
    `| method | subset size | subset size % | dev accuracy % (${seedsNote}) |`,
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.label} | ${r.size} | ${r.subsetPct.toFixed(1)} | ${pct(r.mean)}${r.n > 1 ? ` ± ${pct(r.std)}` : ''} |`),
    '',
    `![dev accuracy by subset](plots/subset-comparison.svg)`,
    '',
    `![H-score histogram](plots/hscore-histogram.svg)`,
    '',
    `Subsets (id lists with metadata): subsets/; per-example records: phase1/; MLflow: mlruns/ ` +
      '(view with `mlflow ui --backend-store-uri ' + shown(join(out, 'mlruns')) + '`).',
    '',
  ];
  const report = join(out, 'report.md');
  writeFileSync(report, lines.join('\n'));
  writeFileSync(join(out, 'summary.csv'), 'method,label,size,subset_pct,dev_accuracy_mean,dev_accuracy_std,n\n' +
    rows.map((r) => [r.method, JSON.stringify(r.label), r.size, r.subsetPct.toFixed(3), r.mean.toFixed(6), r.std.toFixed(6), r.n].join(',')).join('\n') + '\n');
  writeFileSync(join(out, 'summary.json'), JSON.stringify({ rows, histogram: subsets.histogram, R: subsets.R, removed: subsets.removed, data: ctx.data.description, source: ctx.data.source, backend: ctx.backend, wallSeconds }, null, 2) + '\n');
  return { report, plots: [comparison.svg, comparison.png, histogram.svg, histogram.png] };
}
