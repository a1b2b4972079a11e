// The report, re-rendered from whatever jobs have finished: the paper's tables per task x model (full data vs
// winning ticket vs the other H subsets, each baseline at the same size; mean ± std over seeds) as markdown and
// CSV, the plots as SVG + PNG (+ Vega-Lite JSON), and one self-contained HTML page.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { selectionMethod } from '@prunelab/pruning';
import {
  dataMapChart,
  differenceChart,
  hscoreHistogramChart,
  htmlReport,
  metricVsSizeChart,
  trainingCurvesChart,
  writeChart,
  type CurvePoint,
  type HtmlBlock,
  type MapPoint,
  type SizePoint,
} from '@prunelab/viz';
import { writeAlReport } from './al-report.ts';
import { graftSection } from './graft-report.ts';
import { mitigationSection } from './mitigation-report.ts';
import { ensureDir, writeFileAtomic } from './files.ts';
import type { Grid, ScoresJob } from './grid.ts';
import { readDone } from './job-state.ts';
import { methodTitle } from './names.ts';
import {
  buildsNote,
  cellData,
  cellSettingsOf,
  collapsedRuns,
  collapseSection,
  dataNote,
  RANDOM_WEIGHTS_NOTE,
  randomWeightsOf,
  settingsNote,
} from './report-cells.ts';
import {
  cellDifferences,
  differences,
  differencesCsv,
  differencesLegend,
  diffPoints,
  ticketDifferences,
} from './report-significance.ts';
import { cellTable, csvOf, reportRows, ticketSummary, type ReportRow } from './report-tables.ts';
import { cellSettings, type ExperimentConfig } from './schema.ts';
import { readScores, type ScoresResult } from './scores.ts';
import { METRIC_TITLES, TASK_META, taskKind } from './tasks.ts';
import { cellTuning, usesPeft } from './peft.ts';

export { reportRows, ticketSummary, type ReportRow } from './report-tables.ts';

export interface ReportFiles {
  report: string;
  html: string;
  csv: string;
  json: string;
  /** tables/differences.csv: every row minus random at its size and minus full data, both intervals */
  differences: string;
  plots: string[];
  rows: ReportRow[];
}

function shown(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

/**
 * The metric-vs-size plot's points, named as the tables name them: 'full data', the baselines' titles, and the
 * H subsets as 'winning ticket' when every H subset plotted is the ticket, else 'H-score subsets' (the ticket is
 * the largest of them); a subset scored by another model says so.
 */
export function sizePoints(rows: ReportRow[]): SizePoint[] {
  const plotted = rows.filter((r) => r.variant === 'all');
  const hs = plotted.filter((r) => r.method === 'hscore');
  const hTitle = hs.every((r) => r.ticket) ? 'winning ticket' : 'H-score subsets';
  return plotted.map((r) => ({
    task: r.task,
    model: r.model,
    method:
      r.method !== 'hscore'
        ? methodTitle(r.method)
        : r.scoredBy !== r.model
          ? `${hTitle} scored by ${r.scoredBy}`
          : hTitle,
    subsetPct: r.subsetPct,
    mean: r.mean,
    std: r.std,
    n: r.n,
  }));
}

const mdTable = (t: { header: string[]; rows: string[][] }, textCols = 1) => [
  `| ${t.header.join(' | ')} |`,
  `|${t.header.map((_, i) => (i < textCols ? '---' : '---:')).join('|')}|`,
  ...t.rows.map((r) => `| ${r.join(' | ')} |`),
];

const DAGGER_NOTE =
  '† some seeds predicted one class for (nearly) every evaluation example: see "Runs that predicted one class".';

/** Every training example's cartography and H of a finished scores job, thinned to at most `max` points. */
function mapPoints(outDir: string, job: ScoresJob, max = 2500): MapPoint[] {
  const lines = readFileSync(join(outDir, job.id, 'scores.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  const step = Math.max(1, Math.ceil(lines.length / max));
  const out: MapPoint[] = [];
  for (let i = 0; i < lines.length; i += step) {
    const [, , h, confidence, variability] = lines[i]!.split(',');
    out.push({ h: Number(h), confidence: Number(confidence), variability: Number(variability) });
  }
  return out;
}

/** What each configured baseline keeps, from libs/pruning's table of selection methods. */
function methodsNote(cfg: ExperimentConfig): string[] {
  const docs = cfg.phase2.methods
    .filter((m) => m !== 'full' && m !== 'hscore')
    .map((b) => {
      const m = selectionMethod(b);
      return `${m.title}${m.citation ? ` (${m.citation})` : ''}: ${m.doc}`;
    });
  return docs.length ? [`Baselines: ${docs.join('; ')}.`] : [];
}

/** Where the runs are browsed: the server in REST mode (MLFLOW_TRACKING_URI=http(s)://...), else the mlruns folder. */
export function trackingLocation(outDir: string): string {
  const uri = process.env.MLFLOW_TRACKING_URI?.trim();
  return uri && /^https?:\/\//i.test(uri) ? uri : join(outDir, 'mlruns');
}

export async function writeReport(
  cfg: ExperimentConfig,
  outDir: string,
  grid: Grid,
  tracking = trackingLocation(outDir),
): Promise<ReportFiles> {
  if (cfg.al) return writeAlReport(cfg, outDir, grid, tracking); // learning curves, not the pruning tables
  const rows = reportRows(grid, outDir);
  const diffs = differences(rows);
  // the legend goes under the first table of differences; later ones point to it
  let legendShown = false;
  const legend = () => {
    if (legendShown) return ['▲ / ▼: the 95% paired t interval over seeds excludes 0 (the legend is further up).'];
    legendShown = true;
    return differencesLegend(diffs.map((d) => d.diff.n));
  };
  const taskMetrics = [...new Set(cfg.tasks.map((t) => TASK_META[t].metric))];
  // one metric for the whole grid when all tasks share it, else the cross-task plot says "metric"
  const metricName = taskMetrics.length === 1 ? taskMetrics[0]! : 'metric';
  const metricWords = taskMetrics.length === 1 ? (METRIC_TITLES[metricName] ?? metricName) : 'metric';
  const plotsDir = join(outDir, 'plots');
  const tablesDir = join(outDir, 'tables');
  ensureDir(plotsDir);
  ensureDir(tablesDir);
  const plots: string[] = [];
  const md: string[] = [`# ${cfg.name}: H-score dataset pruning`, ''];
  const html: HtmlBlock[] = [];
  const done = grid.jobs.filter((j) => readDone(outDir, j)).length;
  const settings = grid.cells.map(({ task, model }) => settingsNote(cellSettingsOf(cfg, grid, task, model)));
  const same = settings.length > 0 && settings.every((x) => x === settings[0]);
  const builds = buildsNote(outDir, grid);
  const intro = [
    `Jobs finished: ${done} of ${grid.jobs.length}. Tasks: ${cfg.tasks.join(', ')}. Models: ${Object.entries(cfg.models)
      .map(
        ([n, m]) =>
          `${n} (${m.family}, ${m.path}${randomWeightsOf(outDir, grid, n) ? ', RANDOM WEIGHTS' : ''}${modelTuning(cfg, n)})`,
      )
      .join(', ')}.`,
    ...(Object.keys(cfg.models).some((n) => randomWeightsOf(outDir, grid, n)) ? [RANDOM_WEIGHTS_NOTE] : []),
    ...(builds ? [builds] : []),
    same
      ? `Every cell: ${settings[0]}.`
      : 'Training settings differ between cells (per-task or per-model overrides): each cell lists the ones it ' +
        'ran with.',
    'Baselines keep exactly as many examples as the H subset they are compared with. Metric: ' +
      `${cfg.tasks.map((t) => `${t} ${METRIC_TITLES[TASK_META[t].metric]}`).join(', ')} on each task's evaluation ` +
      'split after the last epoch (other metrics of the task beside it), ' +
      `${seedWords(cfg)}.`,
    'H subsets are named by the H values they drop: the winning ticket drops H=0 (never learned) and H=R ' +
      '(learned in every run).',
    ...methodsNote(cfg),
    ...regressionNote(cfg),
    ...qaNote(cfg),
  ];
  md.push(...intro.map((t) => `- ${t}`), '');
  html.push({ text: intro });
  const dagger = rows.some((r) => r.collapsedSeeds.length > 0) ? [DAGGER_NOTE] : [];
  const ticket = ticketSummary(rows, grid, cfg);
  if (ticket.rows.length) {
    const heading = 'Winning ticket vs full data and baselines of the same size';
    const left = ticket.header.includes('tuning') ? 3 : 2; // task, model (, tuning) are text
    md.push(`## ${heading}`, '', ...mdTable(ticket, left), '', ...dagger.map((d) => `${d}\n`));
    html.push({ heading, table: ticket });
    if (dagger.length) html.push({ text: dagger });
  }
  const atTicket = ticketDifferences(diffs, rows, grid);
  if (atTicket.rows.length) {
    const heading = "At the winning ticket's size: each method minus random and minus full data, paired by seed";
    const text = legend();
    md.push(`## ${heading}`, '', ...mdTable(atTicket, 3), '', ...text.map((t) => `${t}\n`));
    html.push({ heading, table: atTicket }, { text });
  }

  // Metric vs subset size, faceted by task and model: H subsets and each baseline along the sizes, full data at 100%.
  const size = sizePoints(rows);
  if (size.length) {
    const files = await writeChart(
      metricVsSizeChart(size, {
        title: `${cfg.name}: ${metricWords} vs training subset size`,
        subtitle: 'bars: ± 1 std over seeds; methods at the same size are drawn side by side',
        metricName: metricWords,
      }),
      join(plotsDir, 'metric-vs-size'),
    );
    plots.push(files.svg, files.png);
    md.push('![metric vs subset size](plots/metric-vs-size.svg)', '');
    html.push({
      heading: 'Metric vs subset size',
      svg: readFileSync(files.svg, 'utf8'),
      caption:
        "Each H subset and every baseline at that subset's size; full data at 100%. Bars: ± 1 sample std over " +
        'seeds (none with one seed); methods at the same size are set a few pixels apart, their x is the true size.',
    });
  }

  const csvAll: ReportRow[] = [];
  for (const { task, model } of grid.cells) {
    const mine = rows.filter((r) => r.task === task && r.model === model);
    const cellTuned = cellSettingsOf(cfg, grid, task, model);
    const title = `${task} · ${model}${usesPeft(cellTuned) ? ` (${cellTuning(cellTuned)})` : ''}`;
    const slug = `${task}-${model}`;
    md.push(`## ${title}`, '');
    const block: HtmlBlock = { heading: title };
    html.push(block);
    const scoresJobs = grid.jobs.filter(
      (j): j is ScoresJob => j.kind === 'scores' && j.task === task && j.model === model,
    );
    const scored = scoresJobs
      .map((j) => [j, readScores(outDir, j)] as const)
      .filter((x): x is readonly [ScoresJob, ScoresResult] => x[1] !== undefined);
    const settings = cellSettingsOf(cfg, grid, task, model);
    const data = cellData(outDir, grid, task, model);
    const notes = [
      ...(randomWeightsOf(outDir, grid, model) ? [`${model}: ${RANDOM_WEIGHTS_NOTE}`] : []),
      dataNote(task, settings.data, data),
      ...data.warnings.map((w) => `data warning: ${w}`),
      `${settingsNote(settings)}; the table: ${TASK_META[task].evalSplit} split after the last epoch`,
      ...scored.map(
        ([j, s]) =>
          `H histogram${j.variant.key === 'all' ? '' : ` [${j.variant.key}]`} (H = 0..${s.R}, ${s.total} ` +
          `examples): ${s.histogram.join(' / ')}`,
      ),
    ];
    md.push(...notes.map((n) => `- ${n}`), '');
    block.text = notes;
    if (mine.length) {
      const table = cellTable(mine, TASK_META[task].metric, TASK_META[task].evalSplit);
      const footnote = mine.some((r) => r.collapsedSeeds.length > 0) ? [DAGGER_NOTE] : [];
      md.push(...mdTable(table), '', ...footnote.map((f) => `${f}\n`));
      block.table = table;
      if (footnote.length) html.push({ text: footnote });
      writeFileAtomic(join(tablesDir, `${slug}.csv`), csvOf(mine));
      csvAll.push(...mine);
      const cellDiffs = diffs.filter((d) => d.row.task === task && d.row.model === model);
      const dt = cellDifferences(cellDiffs, mine);
      if (dt.rows.length) {
        const lead = 'Differences to random at the same size and to full data, paired by seed:';
        const text = legend();
        md.push(lead, '', ...mdTable(dt, 1), '', ...text.map((t) => `${t}\n`));
        html.push({ text: [lead], table: dt }, { text });
        const points = diffPoints(cellDiffs);
        if (points.length) {
          const c = await writeChart(
            differenceChart(points, {
              title: `${title}: differences paired by seed`,
              subtitle: 'bars: 95% paired t interval over seeds (none with one seed)',
              metricName: METRIC_TITLES[TASK_META[task].metric]!,
            }),
            join(plotsDir, `${slug}-differences`),
          );
          plots.push(c.svg, c.png);
          md.push(`![differences](plots/${slug}-differences.svg)`, '');
          html.push({
            svg: readFileSync(c.svg, 'utf8'),
            caption:
              'Each result minus random at the same size (left) and minus full data (right), in metric points; a ' +
              'coloured point: its interval lies above or below 0.',
          });
        }
      }
    } else {
      md.push('_no finished phase-2 runs yet_', '');
      block.text = [...notes, 'no finished phase-2 runs yet'];
    }
    for (const [j, s] of scored) {
      const v = j.variant.key === 'all' ? '' : `-${j.variant.key}`;
      const removed = j.subsets[0];
      const hist = await writeChart(
        hscoreHistogramChart(s.histogram, { title: `${title}: H-score histogram${v}`, ...(removed && { removed }) }),
        join(plotsDir, `${slug}${v}-hscore-histogram`),
      );
      const map = await writeChart(
        dataMapChart(mapPoints(outDir, j), {
          title: `${title}: data map${v}`,
          subtitle: `R = ${s.R} runs x ${s.E} epochs, coloured by H`,
          R: s.R,
        }),
        join(plotsDir, `${slug}${v}-data-map`),
      );
      plots.push(hist.svg, hist.png, map.svg, map.png);
      md.push(`![H histogram](plots/${slug}${v}-hscore-histogram.svg) ![data map](plots/${slug}${v}-data-map.svg)`, '');
      html.push(
        { svg: readFileSync(hist.svg, 'utf8') },
        {
          svg: readFileSync(map.svg, 'utf8'),
          caption:
            'Dataset cartography: confidence vs variability of the gold-label probability over all epochs x runs.',
        },
      );
    }
    const curves: CurvePoint[] = mine
      .filter((r) => r.variant === 'all')
      .flatMap((r) =>
        r.curve.flatMap((m, e) => (Number.isNaN(m) ? [] : [{ series: r.label, epoch: e + 1, metric: m }])),
      );
    if (curves.length) {
      const c = await writeChart(
        trainingCurvesChart(curves, {
          title: `${title}: training curves (phase 2)`,
          subtitle: 'mean over seeds',
          metricName: METRIC_TITLES[TASK_META[task].metric]!,
        }),
        join(plotsDir, `${slug}-curves`),
      );
      plots.push(c.svg, c.png);
      md.push(`![training curves](plots/${slug}-curves.svg)`, '');
      html.push({ svg: readFileSync(c.svg, 'utf8') });
    }
  }
  const mitigation = await mitigationSection(cfg, grid, outDir, mdTable);
  md.push(...mitigation.md);
  html.push(...mitigation.html);
  plots.push(...mitigation.plots);
  const graft = await graftSection(cfg, grid, outDir, mdTable);
  md.push(...graft.md);
  html.push(...graft.html);
  plots.push(...graft.plots);
  if (cfg.tasks.some((t) => taskKind(t) === 'classification')) {
    const collapse = collapseSection(collapsedRuns(outDir, grid));
    md.push('## Runs that predicted one class', '', ...collapse.map((l, i) => (i === 0 ? l : `- ${l}`)), '');
    html.push({ heading: 'Runs that predicted one class', text: collapse });
  }
  md.push(
    `Per-job folders (config, metrics per epoch, records, subsets, log): ${shown(outDir)}/<task>/<model>/. ` +
      `MLflow: ${
        /^https?:/i.test(tracking)
          ? `runs on the tracking server ${tracking}`
          : `\`mlflow ui --backend-store-uri ${shown(tracking)}\``
      }. Self-contained page: report.html.`,
    '',
  );
  const report = join(outDir, 'report.md');
  const htmlFile = join(outDir, 'report.html');
  const csv = join(outDir, 'summary.csv');
  const json = join(outDir, 'summary.json');
  const diffCsv = join(tablesDir, 'differences.csv');
  writeFileAtomic(diffCsv, differencesCsv(diffs));
  writeFileAtomic(report, md.join('\n'));
  writeFileAtomic(htmlFile, htmlReport(`${cfg.name}: H-score dataset pruning`, html));
  writeFileAtomic(csv, csvOf(csvAll));
  writeFileAtomic(
    json,
    JSON.stringify(
      {
        name: cfg.name,
        jobs: grid.jobs.length,
        finished: done,
        rows,
        differences: diffs.map(({ row: r, against, diff, collapsed }) => ({
          task: r.task,
          model: r.model,
          variant: r.variant,
          subset: r.subset,
          method: r.method,
          scoredBy: r.scoredBy,
          label: r.label,
          against,
          ...diff,
          collapsed,
        })),
      },
      // NaN (no common seed) is written as null
      (_, v) => (typeof v === 'number' && Number.isNaN(v) ? null : v),
      2,
    ) + '\n',
  );
  return { report, html: htmlFile, csv, json, differences: diffCsv, plots, rows };
}

/** How many seeds the tables average: phase2.seeds everywhere, ticket_seeds more at the winning ticket's size. */
function seedWords(cfg: ExperimentConfig): string {
  const all = new Set([...cfg.phase2.seeds, ...cfg.phase2.ticket_seeds]).size;
  if (all === 1) return 'one seed';
  return cfg.phase2.seeds.length > 1
    ? 'mean ± sample std over seeds'
    : "mean ± sample std over seeds for full data and at the winning ticket's size (ticket_seeds), one seed elsewhere";
}

function regressionNote(cfg: ExperimentConfig): string[] {
  return cfg.tasks.some((t) => taskKind(t) === 'regression')
    ? [
        'Regression (STS-B): an example counts as correct for the H-score when |prediction - gold| <= 0.5 on the ' +
          '0..5 scale; the gold-label probability (cartography) is the surrogate exp(-(error/0.5)^2 / 2).',
      ]
    : [];
}

function qaNote(cfg: ExperimentConfig): string[] {
  return cfg.tasks.some((t) => taskKind(t) === 'extractive-qa')
    ? [
        'SQuAD v2: one training window per question (the first holding the whole answer; the first window when ' +
          'unanswerable), correct = argmax start and end both on the gold tokens; F1/EM over every window of every ' +
          'dev question (postprocessed answer texts).',
      ]
    : [];
}

/** ', tuned with lora' for a model any cell of which uses PEFT (per task when tasks differ); '' for full fine-tuning. */
function modelTuning(cfg: ExperimentConfig, model: string): string {
  const cells = cfg.tasks.map((t) => cellSettings(cfg, t, model));
  if (!cells.some(usesPeft)) return '';
  const labels = [...new Set(cells.map(cellTuning))];
  return `, tuned with ${labels.length === 1 ? labels[0] : cfg.tasks.map((t, i) => `${t}: ${cellTuning(cells[i]!)}`).join('; ')}`;
}
