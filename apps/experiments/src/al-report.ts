// The report of an active-learning experiment, from the finished steps' done.json: learning curves with bands over
// seeds, the AUC / RIPL table, forgetting of the labelled examples and CKA per layer, full fine-tuning vs PEFT, and
// what was read and run. A curve missing steps is partial: drawn as far as it goes, left out of AUC and RIPL.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { curveAuc, ripl, strategy as strategyOf } from '@prunelab/active';
import { htmlReport, learningCurvesChart, tuningLinesChart, writeChart, type HtmlBlock } from '@prunelab/viz';
import { stepCount } from './al-grid.ts';
import type { AlStepResult } from './al-step.ts';
import { ensureDir, writeFileAtomic } from './files.ts';
import type { AlStepJob, Grid } from './grid.ts';
import { readDone } from './job-state.ts';
import { tuningWords } from './peft.ts';
import type { ReportFiles } from './report.ts';
import { meanStd as stats } from './stats.ts';
import { cellSettings, type ExperimentConfig, type TaskName } from './schema.ts';
import { METRIC_TITLES, TASK_META } from './tasks.ts';

interface Curve {
  task: string;
  model: string;
  strategy: string;
  seed: number;
  steps: number;
  /** finished steps in step order (a gap ends the curve) */
  results: AlStepResult[];
  seconds: number;
}

const mean = (xs: number[]) => stats(xs).mean;
/** the sample std (0 for one value) */
const std = (xs: number[]) => (xs.length > 1 ? stats(xs).std : 0);
const pct = (x: number) => (100 * x).toFixed(2);
const meanStd = (xs: number[]) =>
  xs.length > 1 ? `${pct(mean(xs))} ± ${pct(std(xs))}` : xs.length ? pct(xs[0]!) : '-';

/** The model entry with its tuning, as tables and legends show it. */
export function tuningOf(cfg: ExperimentConfig, model: string, task: string = cfg.tasks[0]!): string {
  const p = cellSettings(cfg, task as TaskName, model).al?.peft;
  return `${model} (${!p || p === 'none' ? 'full' : p.method})`;
}

/** The grid's curves with their finished steps, in grid order. */
export function readCurves(outDir: string, grid: Grid): Curve[] {
  const curves = new Map<string, Curve>();
  for (const j of grid.jobs) {
    if (j.kind !== 'al') continue;
    const key = `${j.task}|${j.model}|${j.strategy}|${j.seed}`;
    let c = curves.get(key);
    if (!c) {
      c = { task: j.task, model: j.model, strategy: j.strategy, seed: j.seed, steps: 0, results: [], seconds: 0 };
      curves.set(key, c);
    }
    c.steps++;
    const done = readDone<AlStepResult>(outDir, j as AlStepJob);
    if (done?.result && c.results.length === j.step) {
      c.results.push(done.result);
      c.seconds += done.seconds;
    }
  }
  return [...curves.values()];
}

const complete = (c: Curve) => c.results.length === c.steps;
const aucOf = (c: Curve) => curveAuc(c.results.map((r) => ({ x: r.labelled, y: r.devMetric })));

export interface AucRow {
  task: string;
  tuning: string;
  strategy: string;
  aucs: number[];
  ripl: number | null;
  final: number[];
  curves: number;
  complete: number;
}

/** Per task, tuning and strategy: AUC of each complete curve, RIPL of the mean against random, the final metric. */
export function aucTable(cfg: ExperimentConfig, curves: Curve[]): AucRow[] {
  const rows: AucRow[] = [];
  for (const task of cfg.tasks) {
    for (const model of Object.keys(cfg.models)) {
      const mine = curves.filter((c) => c.task === task && c.model === model);
      const strategies = [...new Set(mine.map((c) => c.strategy))];
      const aucs = (s: string) => mine.filter((c) => c.strategy === s && complete(c)).map(aucOf);
      const passive = aucs('random');
      for (const s of strategies) {
        const of = mine.filter((c) => c.strategy === s);
        const a = aucs(s);
        rows.push({
          task,
          tuning: tuningOf(cfg, model, task),
          strategy: s,
          aucs: a,
          ripl: passive.length && a.length && s !== 'random' ? ripl(mean(a), mean(passive)) : null,
          final: of.filter(complete).map((c) => c.results.at(-1)!.devMetric),
          curves: of.length,
          complete: of.filter(complete).length,
        });
      }
    }
  }
  return rows;
}

export async function writeAlReport(
  cfg: ExperimentConfig,
  outDir: string,
  grid: Grid,
  tracking: string,
): Promise<ReportFiles> {
  const al = cfg.al!;
  const curves = readCurves(outDir, grid);
  const plotsDir = join(outDir, 'plots');
  const tablesDir = join(outDir, 'tables');
  ensureDir(plotsDir);
  ensureDir(tablesDir);
  const plots: string[] = [];
  const title = `${cfg.name}: active learning`;
  const md: string[] = [`# ${title}`, ''];
  const html: HtmlBlock[] = [];
  const steps = grid.jobs.filter((j) => j.kind === 'al');
  const finished = curves.reduce((a, c) => a + c.results.length, 0);
  const hours = curves.reduce((a, c) => a + c.seconds, 0) / 3600;
  const metrics = cfg.tasks.map((t) => `${t} ${METRIC_TITLES[TASK_META[t].metric]}`).join(', ');
  const intro = [
    `Steps finished: ${finished} of ${steps.length}; learning curves complete: ${curves.filter(complete).length} of ` +
      `${curves.length} (a partial curve is drawn as far as it goes and left out of AUC and RIPL). Compute: ` +
      `${hours.toFixed(2)} h, the sum of the finished steps' wall time.`,
    `Tasks: ${cfg.tasks.join(', ')} (pool: ${al.pool ? `the ids of ${al.pool}` : 'the training split as data: reads it'}` +
      `; data.train_size ${cfg.data.train_size ?? 'all'}). Models: ${Object.entries(cfg.models)
        .map(
          ([n, m]) =>
            `${n} (${m.family}, ${m.path}; ${tuningWords(cellSettings(cfg, cfg.tasks[0]!, n).al?.peft)}, lr ${cellSettings(cfg, cfg.tasks[0]!, n).al!.lr})`,
        )
        .join('; ')}.`,
    `Warm start ${al.warm_start} (a seeded draw, the same for every strategy of a seed), ${al.query} per query, ` +
      `budget ${al.budget} (${stepCount(al)} steps); each step ${al.reinit ? 'fine-tunes the pretrained model afresh' : "continues from the previous step's weights"} ` +
      `for ${al.epochs} epochs (batch ${al.batch_size}); seeds ${al.seeds.join(', ')}.`,
    `Strategies: ${al.strategies.map((s) => `${s} (${strategyOf(s).doc})`).join('; ')}. docs/active-learning.md defines each.`,
    `Metric: ${metrics} on the evaluation split after each step's last epoch; mean ± sample std over seeds.`,
  ];
  md.push(...intro.map((t) => `- ${t}`), '');
  html.push({ text: intro });

  // learning curves: the mean over seeds at each labelled size, finished steps only
  const points = learningPoints(cfg, curves);
  const metricWords = [...new Set(cfg.tasks.map((t) => METRIC_TITLES[TASK_META[t].metric]))].join(' / ');
  if (points.length) {
    const f = await writeChart(
      learningCurvesChart(points, {
        title: `${cfg.name}: learning curves`,
        subtitle: 'mean over seeds, band ± 1 std',
        metricName: metricWords,
      }),
      join(plotsDir, 'learning-curves'),
    );
    plots.push(f.svg, f.png);
    md.push('## Learning curves', '', '![learning curves](plots/learning-curves.svg)', '');
    html.push({ heading: 'Learning curves', svg: readFileSync(f.svg, 'utf8') });
  }

  const auc = aucTable(cfg, curves);
  const aucTab = {
    header: ['task', 'tuning', 'strategy', 'AUC (%)', 'RIPL', `${metricWords} at ${al.budget} (%)`, 'curves'],
    rows: auc.map((r) => [
      r.task,
      r.tuning,
      r.strategy,
      meanStd(r.aucs),
      r.ripl === null ? '-' : r.ripl.toFixed(3),
      meanStd(r.final),
      `${r.complete} of ${r.curves}`,
    ]),
  };
  const aucNote =
    'AUC: the trapezoid area under each complete curve divided by the range of labelled sizes (its mean height). ' +
    'RIPL: (AUC - AUC of random) / (1 - AUC of random), mean AUCs of the same task and tuning.';
  md.push('## AUC and RIPL', '', ...mdTable(aucTab), '', aucNote, '');
  html.push({ heading: 'AUC and RIPL', table: aucTab, text: [aucNote] });
  writeFileAtomic(join(tablesDir, 'auc.csv'), csv(aucTab));

  // forgetting of the labelled examples during each step's training
  const forget = forgettingTable(cfg, curves);
  md.push('## Forgetting of the labelled examples', '', ...mdTable(forget), '', FORGET_NOTE, '');
  html.push({ heading: 'Forgetting of the labelled examples', table: forget, text: [FORGET_NOTE] });
  writeFileAtomic(join(tablesDir, 'forgetting.csv'), csv(forget));
  const never = neverLearnedPoints(cfg, curves);
  if (never.length) {
    const f = await writeChart(
      tuningLinesChart(never, {
        title: `${cfg.name}: labelled examples never learned`,
        subtitle: 'share never right in any epoch of the step, mean over strategies and seeds',
        x: 'labelled examples',
        y: 'never learned (%)',
        percent: true,
      }),
      join(plotsDir, 'never-learned'),
    );
    plots.push(f.svg, f.png);
    md.push('![never learned](plots/never-learned.svg)', '');
    html.push({ svg: readFileSync(f.svg, 'utf8') });
  }

  // representation stability
  const cka = ckaTable(cfg, curves);
  if (cka.table.rows.length) {
    md.push('## Representation stability (linear CKA)', '', ...mdTable(cka.table), '', CKA_NOTE, '');
    html.push({ heading: 'Representation stability (linear CKA)', table: cka.table, text: [CKA_NOTE] });
    writeFileAtomic(join(tablesDir, 'cka.csv'), csv(cka.table));
    const f = await writeChart(
      tuningLinesChart(cka.points, {
        title: `${cfg.name}: CKA to the pretrained model per layer`,
        subtitle: 'after the last step, mean over strategies and seeds',
        x: 'layer',
        y: 'linear CKA',
        percent: false,
        layers: true,
      }),
      join(plotsDir, 'cka'),
    );
    plots.push(f.svg, f.png);
    md.push('![CKA per layer](plots/cka.svg)', '');
    html.push({ svg: readFileSync(f.svg, 'utf8') });
  }
  md.push(
    `Per-step folders (labelled.json, metrics, records, probe Grams, log): ${outDir}/<task>/<model>/al/. MLflow: ` +
      `${/^https?:/i.test(tracking) ? `the server ${tracking}` : `\`mlflow ui --backend-store-uri ${tracking}\``}.`,
    '',
  );
  const report = join(outDir, 'report.md');
  const htmlFile = join(outDir, 'report.html');
  const csvFile = join(outDir, 'summary.csv');
  const json = join(outDir, 'summary.json');
  const differences = join(tablesDir, 'curves.csv');
  writeFileAtomic(report, md.join('\n'));
  writeFileAtomic(htmlFile, htmlReport(title, html));
  writeFileAtomic(csvFile, csv(aucTab));
  writeFileAtomic(differences, curvesCsv(curves));
  const nan = (_: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);
  writeFileAtomic(json, `${JSON.stringify({ name: cfg.name, steps: steps.length, finished, auc, curves }, nan, 2)}\n`);
  return { report, html: htmlFile, csv: csvFile, json, differences, plots, rows: [] };
}

function learningPoints(cfg: ExperimentConfig, curves: Curve[]) {
  const groups = new Map<string, { c: Curve; r: AlStepResult }[]>();
  for (const c of curves)
    for (const r of c.results) {
      const k = `${c.task}|${c.model}|${c.strategy}|${r.labelled}`;
      groups.set(k, [...(groups.get(k) ?? []), { c, r }]);
    }
  return [...groups.values()].map((g) => {
    const ys = g.map((x) => x.r.devMetric);
    return {
      task: g[0]!.c.task,
      tuning: tuningOf(cfg, g[0]!.c.model, g[0]!.c.task),
      strategy: g[0]!.c.strategy,
      labelled: g[0]!.r.labelled,
      mean: mean(ys),
      std: ys.length > 1 ? std(ys) : 0,
      n: ys.length,
    };
  });
}

const FORGET_NOTE =
  'Over every finished step (all strategies and seeds): forgetting events per labelled example (right at an ' +
  'epoch, wrong at the next, in the training forward pass), the share forgotten at least once, the share never ' +
  'learned (never right in any epoch), mean ± std over steps.';

function forgettingTable(cfg: ExperimentConfig, curves: Curve[]) {
  const rows: string[][] = [];
  for (const task of cfg.tasks) {
    for (const model of Object.keys(cfg.models)) {
      const rs = curves.filter((c) => c.task === task && c.model === model).flatMap((c) => c.results);
      if (!rs.length) continue;
      const col = (f: (r: AlStepResult) => number, scale = 100) => {
        const xs = rs.map(f);
        return `${(scale * mean(xs)).toFixed(2)} ± ${(scale * (xs.length > 1 ? std(xs) : 0)).toFixed(2)}`;
      };
      rows.push([
        task,
        tuningOf(cfg, model, task),
        col((r) => r.forgetting.events, 1),
        col((r) => r.forgetting.forgottenShare),
        col((r) => r.forgetting.neverLearnedShare),
        String(rs.length),
      ]);
    }
  }
  return {
    header: ['task', 'tuning', 'forgetting events per example', 'forgotten (%)', 'never learned (%)', 'steps'],
    rows,
  };
}

function neverLearnedPoints(cfg: ExperimentConfig, curves: Curve[]) {
  const groups = new Map<string, { task: string; model: string; labelled: number; xs: number[] }>();
  for (const c of curves)
    for (const r of c.results) {
      const k = `${c.task}|${c.model}|${r.labelled}`;
      const g = groups.get(k) ?? { task: c.task, model: c.model, labelled: r.labelled, xs: [] };
      g.xs.push(r.forgetting.neverLearnedShare);
      groups.set(k, g);
    }
  return [...groups.values()].map((g) => ({
    task: g.task,
    tuning: tuningOf(cfg, g.model, g.task),
    x: g.labelled,
    value: mean(g.xs),
    n: g.xs.length,
  }));
}

const CKA_NOTE =
  'Linear CKA between the per-layer representations (mean-pooled over real tokens) of a fixed probe of evaluation ' +
  'examples: the pretrained model vs the model after the last step of each complete curve (1 = the same ' +
  'representation up to rotation and scale), and each step vs the step before it, averaged over steps.';

function ckaTable(cfg: ExperimentConfig, curves: Curve[]) {
  const rows: string[][] = [];
  const points: { task: string; tuning: string; x: number; label: string; value: number; n: number }[] = [];
  for (const task of cfg.tasks) {
    for (const model of Object.keys(cfg.models)) {
      const mine = curves.filter((c) => c.task === task && c.model === model);
      const last = mine.filter(complete).flatMap((c) => (c.results.at(-1)!.cka ? [c.results.at(-1)!.cka!] : []));
      const all = mine.flatMap((c) => c.results.flatMap((r) => (r.cka?.previous ? [r.cka] : [])));
      if (!last.length) continue;
      last[0]!.layers.forEach((layer, l) => {
        const pre = last.map((k) => k.pretrained[l]!).filter(Number.isFinite);
        const prev = all.map((k) => k!.previous![l]!).filter(Number.isFinite);
        rows.push([
          task,
          tuningOf(cfg, model, task),
          layer,
          pre.length ? `${mean(pre).toFixed(3)} ± ${(pre.length > 1 ? std(pre) : 0).toFixed(3)}` : '-',
          prev.length ? mean(prev).toFixed(3) : '-',
          String(pre.length),
        ]);
        if (pre.length)
          points.push({
            task,
            tuning: tuningOf(cfg, model, task),
            x: l,
            label: layer,
            value: mean(pre),
            n: pre.length,
          });
      });
    }
  }
  return {
    table: { header: ['task', 'tuning', 'layer', 'CKA to pretrained', 'CKA to previous step', 'curves'], rows },
    points,
  };
}

const mdTable = (t: { header: string[]; rows: string[][] }) => [
  `| ${t.header.join(' | ')} |`,
  `|${t.header.map((_, i) => (i < 3 ? '---' : '---:')).join('|')}|`,
  ...t.rows.map((r) => `| ${r.join(' | ')} |`),
];

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const csv = (t: { header: string[]; rows: string[][] }) =>
  [t.header, ...t.rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';

/** Every finished step as a row: the curves behind the plots. */
function curvesCsv(curves: Curve[]): string {
  const head =
    'task,model,strategy,seed,step,labelled,dev_metric,dev_accuracy,train_accuracy,forgetting_events,never_learned';
  const lines = curves.flatMap((c) =>
    c.results.map((r) =>
      [
        c.task,
        c.model,
        c.strategy,
        c.seed,
        r.step,
        r.labelled,
        r.devMetric,
        r.devAccuracy,
        r.trainAccuracy,
        r.forgetting.events,
        r.forgetting.neverLearnedShare,
      ].join(','),
    ),
  );
  return [head, ...lines].join('\n') + '\n';
}
