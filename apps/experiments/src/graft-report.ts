// The report's section "Skill localisation by grafting" (graft: in the config; Panigrahi et al., ICML 2023): read
// the finished graft jobs, a table per (task, model, run grafted) (graft-report-tables.ts), the masks' overlaps
// (graft-overlap.ts), the plots, and tables/graft.csv + tables/graft-overlap.csv. A grid without graft jobs: nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  graftSparsityChart,
  overlapHeatmapChart,
  sparsityLabel,
  writeChart,
  type GraftPoint,
  type GraftRef,
  type HtmlBlock,
  type OverlapCell,
} from '@prunelab/viz';
import { writeFileAtomic } from './files.ts';
import type { GraftResult } from './graft-job.ts';
import { overlapCsv, overlapRows, type MaskRef, type OverlapRow } from './graft-overlap.ts';
import {
  acrossTasksTable,
  fullVsRunTable,
  graftAggregates,
  graftCsv,
  graftMethodTitle,
  graftTable,
  runLabel,
  type GraftAggregate,
  type GraftDone,
  type Table,
} from './graft-report-tables.ts';
import type { Grid } from './grid.ts';
import { readDone } from './job-state.ts';
import type { ExperimentConfig } from './schema.ts';

/** The finished graft jobs of the grid (done.json with the current hash), in grid order. */
export function finishedGrafts(grid: Grid, outDir: string): GraftDone[] {
  return grid.jobs.flatMap((job) => {
    if (job.kind !== 'graft') return [];
    const d = readDone<GraftResult>(outDir, job);
    return d?.result ? [{ job, result: d.result }] : [];
  });
}

/** The masks the overlaps compare: every method's but random's, whose masks depend on graft.seed and k alone (the
 * same mask for every run of a scope). */
export function maskRefs(done: GraftDone[], outDir: string): MaskRef[] {
  return done.flatMap(({ job, result }) =>
    result.rows.flatMap((row) =>
      row.file && row.sparsity !== null && row.method !== 'random'
        ? [
            {
              task: job.task,
              model: job.model,
              runKind: job.runKind,
              seed: job.seed,
              method: row.method,
              sparsity: row.sparsity,
              file: join(outDir, job.id, row.file),
              k: row.k,
              scopeParams: result.scopeParams,
            },
          ]
        : [],
    ),
  );
}

const panelOf = (model: string, runKind: string) => `${model} · ${runLabel(runKind)}`;

/** A task x task matrix per (model, run kind, sparsity) of one mask method: across tasks off the diagonal, the
 * task's own across-seeds Jaccard on it. */
export function overlapCells(overlaps: OverlapRow[], method = 'graft'): OverlapCell[] {
  const mine = overlaps.filter((o) => o.method === method && o.comparison !== 'runs');
  // a matrix only where two tasks were compared
  const panels = new Set(
    mine.filter((o) => o.comparison === 'tasks').map((o) => `${o.model}\0${o.runA}\0${o.sparsity}`),
  );
  return mine
    .filter((o) => panels.has(`${o.model}\0${o.runA}\0${o.sparsity}`))
    .flatMap((o) => {
      const c = { panel: panelOf(o.model, o.runA), sparsity: o.sparsity, jaccard: o.jaccard.mean, n: o.n };
      return o.comparison === 'seeds'
        ? [{ ...c, a: o.taskA, b: o.taskA }]
        : [
            { ...c, a: o.taskA, b: o.taskB },
            { ...c, a: o.taskB, b: o.taskA },
          ];
    });
}

/** A chart's points (the masks by sparsity) and its references (fine-tuned, pretrained body) of one measure. */
export function graftPoints(
  aggs: GraftAggregate[],
  measure: 'recovered' | 'ece',
): { points: GraftPoint[]; refs: GraftRef[] } {
  const points: GraftPoint[] = [];
  const refs: GraftRef[] = [];
  for (const a of aggs) {
    const s = a[measure];
    if (!Number.isFinite(s.mean)) continue;
    const where = { task: a.task, panel: panelOf(a.model, a.runKind) };
    if (a.method === 'finetuned' || a.method === 'pretrained')
      refs.push({ ...where, label: a.method === 'finetuned' ? 'fine-tuned' : 'pretrained body', value: s.mean });
    else if (a.sparsity !== null)
      points.push({ ...where, method: graftMethodTitle(a.method), sparsity: a.sparsity, ...s, n: a.n });
  }
  return { points, refs };
}

function introOf(cfg: ExperimentConfig, done: number, jobs: number): string[] {
  const g = cfg.graft!;
  return [
    `Graft jobs finished: ${done} of ${jobs}. Each takes one finished fine-tuning run and grafts the parameters a ` +
      'mask selects onto the pretrained model; the rest of the scope stays pretrained and the task head is the ' +
      `fine-tuned one (Panigrahi et al., ICML 2023). Runs grafted: ${g.runs.map(runLabel).join(', ')}. ` +
      `Scope: ${g.scope}; masks ${g.methods.join(', ')}, each selecting ` +
      `${g.sparsities.map(sparsityLabel).join(', ')} of the scope; ` +
      `${g.lambdas.length ? `task arithmetic at λ = ${g.lambdas.join(', ')}` : 'no task arithmetic'}; masks learn on ` +
      `${g.per_class === null ? "the run's whole training set" : `${g.per_class} examples per class`} ` +
      `(${g.steps} steps, lr ${g.lr >= 1e4 ? g.lr.toExponential() : g.lr}, β ${g.beta}).`,
    'Masks: graft (learned), top Δ (the k largest |θ_ft − θ_pre|), random (k at random), Fisher (the k largest ' +
      'diagonal Fisher at θ_ft); task arithmetic: θ_pre + λ (θ_ft − θ_pre) over the whole scope. k: entries a mask ' +
      "selects (mean over seeds); recovered: the metric as a share of the fine-tuned run's, per seed; mean ± sample " +
      'std over seeds (n seeds).',
    'ECE: expected calibration error (15 bins) on the evaluation split, mean over seeds; ECE reduction = (ECE ' +
      'fine-tuned − ECE) / ECE fine-tuned of those means (positive: better calibrated than the fine-tuned model).',
    'Overlap: Jaccard |A ∩ B| / |A ∪ B| of the parameters two masks select. Chance: two random masks of k1 and k2 of ' +
      'the N parameters in scope share k1 k2 / N in expectation, a Jaccard of about (k1 k2 / N) / (k1 + k2 − k1 k2 / ' +
      'N). Random masks are left out: they are drawn from graft.seed and k alone, the same for every run.',
  ];
}

/** The section: markdown lines, html blocks, plot files. Nothing when the grid has no graft jobs. */
export async function graftSection(
  cfg: ExperimentConfig,
  grid: Grid,
  outDir: string,
  mdTable: (t: Table, textCols?: number) => string[],
): Promise<{ md: string[]; html: HtmlBlock[]; plots: string[] }> {
  const jobs = grid.jobs.filter((j) => j.kind === 'graft').length;
  if (!jobs || !cfg.graft) return { md: [], html: [], plots: [] };
  const heading = 'Skill localisation by grafting';
  const done = finishedGrafts(grid, outDir);
  const intro = introOf(cfg, done.length, jobs);
  const md: string[] = [`## ${heading}`, '', ...intro.map((t) => `- ${t}`), ''];
  const html: HtmlBlock[] = [{ heading, text: intro }];
  const addTable = (title: string, lead: string, t: Table, textCols: number) => {
    md.push(`### ${title}`, '', lead, '', ...mdTable(t, textCols), '');
    html.push({ heading: title, text: [lead], table: t });
  };
  const plots: string[] = [];
  if (!done.length) {
    md.push('_no finished graft jobs yet_', '');
    return { md, html, plots };
  }
  const aggs = graftAggregates(done, cfg.graft.methods);
  const overlaps = overlapRows(maskRefs(done, outDir));
  const cellKey = (x: { task: string; model: string; runKind: string }) => `${x.task}\0${x.model}\0${x.runKind}`;
  for (const key of new Set(aggs.map(cellKey))) {
    const mine = aggs.filter((a) => cellKey(a) === key);
    const { task, model, runKind } = mine[0]!;
    const runs = done.filter((d) => cellKey(d.job) === key);
    const r = runs[0]!.result;
    const title = `${task} · ${model} · ${runLabel(runKind)}`;
    const lead =
      `Grafted ${runs.length} run${runs.length === 1 ? '' : 's'} (seeds ${runs.map((d) => d.job.seed).join(', ')}); ` +
      `${r.scopeParams.toLocaleString('en-US')} parameters in scope (${r.scope}); masks learned on ` +
      `${r.learnExamples} examples, chosen on ${r.devExamples} more.`;
    addTable(title, lead, graftTable(mine, overlaps), 2);
  }
  const plotsDir = join(outDir, 'plots');
  const across = acrossTasksTable(overlaps);
  if (across.rows.length) {
    const title = 'Overlap across tasks';
    const lead =
      'Same model, run, mask, sparsity and seed, two tasks: the Jaccard of each task pair (mean over the seeds both ' +
      "have), as mean and range over the pairs, beside the same tasks' own Jaccard across seeds.";
    addTable(title, lead, across, 4);
    const cells = overlapCells(overlaps);
    if (cells.length) {
      const c = await writeChart(
        overlapHeatmapChart(cells, {
          title: `${cfg.name}: overlap of the learned graft masks across tasks`,
          subtitle: 'Jaccard, mean over seeds; the diagonal: the same task across seeds',
          tasks: cfg.tasks,
        }),
        join(plotsDir, 'graft-overlap-tasks'),
      );
      plots.push(c.svg, c.png);
      md.push('![graft overlap across tasks](plots/graft-overlap-tasks.svg)', '');
      html.push({
        svg: readFileSync(c.svg, 'utf8'),
        caption: 'Off the diagonal: two tasks, same seed; on it: the task with itself across seeds.',
      });
    }
  }
  const vsFull = fullVsRunTable(overlaps);
  if (vsFull.rows.length) {
    const title = 'Full data vs the winning ticket';
    const lead =
      'The mask of the full-data run against that of a run at the winning ticket (or a baseline at its size), same ' +
      "task, mask, sparsity and seed (mean ± std over seeds), beside full data's own Jaccard across seeds.";
    addTable(title, lead, vsFull, 5);
  }
  const charts = [
    { measure: 'recovered', name: 'graft-recovered', y: 'recovered (% of fine-tuned)', what: 'performance recovered' },
    { measure: 'ece', name: 'graft-ece', y: 'ECE (%)', what: 'expected calibration error' },
  ] as const;
  for (const ch of charts) {
    const { points, refs } = graftPoints(aggs, ch.measure);
    if (!points.length) continue;
    const c = await writeChart(
      graftSparsityChart(points, refs, {
        title: `${cfg.name}: ${ch.what} by grafted parameters`,
        subtitle: 'mean ± 1 sample std over seeds; dashed: the fine-tuned model and the pretrained body',
        yTitle: ch.y,
      }),
      join(plotsDir, ch.name),
    );
    plots.push(c.svg, c.png);
    md.push(`![${ch.what}](plots/${ch.name}.svg)`, '');
    html.push({ svg: readFileSync(c.svg, 'utf8') });
  }
  writeFileAtomic(join(outDir, 'tables', 'graft.csv'), graftCsv(aggs));
  writeFileAtomic(join(outDir, 'tables', 'graft-overlap.csv'), overlapCsv(overlaps));
  return { md, html, plots };
}
