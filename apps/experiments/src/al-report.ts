// The report of an active-learning experiment (al:), re-rendered from whatever steps have finished: what was read
// and run, learning curves with ± 1 std bands over seeds, AUC and RIPL per strategy, forgetting and representation
// stability (CKA per layer) of full fine-tuning vs PEFT. Markdown, one self-contained HTML page, CSV tables, SVG + PNG.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ckaLayerChart,
  htmlReport,
  learningCurveChart,
  neverLearnedChart,
  writeChart,
  type HtmlBlock,
  type VegaLiteSpec,
} from '@prunelab/viz';
import { alCsvs, aucTable, ckaTable, forgettingTable, type Table } from './al-report-format.ts';
import {
  aucRows,
  ckaRows,
  curvePoints,
  forgettingRows,
  neverLearnedRows,
  readCurves,
  tunedName,
  type AlCurve,
} from './al-report-tables.ts';
import { ensureDir, writeFileAtomic } from './files.ts';
import type { Grid } from './grid.ts';
import { readJson } from './job-state.ts';
import { tuningWords } from './peft.ts';
import type { ReportFiles } from './report.ts';
import { cellSettings, type ExperimentConfig, type TaskName } from './schema.ts';
import { METRIC_TITLES, TASK_META } from './tasks.ts';

const mdTable = (t: Table, textCols: number) => [
  `| ${t.header.join(' | ')} |`,
  `|${t.header.map((_, i) => (i < textCols ? '---' : '---:')).join('|')}|`,
  ...t.rows.map((r) => `| ${r.join(' | ')} |`),
  '',
];

const list = (xs: (string | number)[]) => xs.join(', ');
const num = (x: number) => (x !== 0 && Math.abs(x) < 1e-2 ? x.toExponential() : String(x));

function duration(s: number): string {
  if (s < 120) return `${s.toFixed(1)} s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The pool of a task: the id file's name, else the training split as read; its size from a finished step. */
function poolWords(cfg: ExperimentConfig, outDir: string, curves: AlCurve[], task: TaskName): string {
  const step = curves.find((c) => c.task === task && c.steps.length)?.steps[0];
  const total = step && readJson<{ total?: number }>(join(outDir, step.job.id, 'labelled.json'))?.total;
  const al = cellSettings(cfg, task, Object.keys(cfg.models)[0]!).al!;
  const what = al.pool ? `the ids of ${al.pool}` : 'the training split as data: reads it';
  return `${task}: ${what}${total ? ` (${total.toLocaleString('en-US')} examples)` : ' (size: no step finished yet)'}`;
}

/** What was read and run: models and their tuning, the pool, the protocol, seeds, strategies, curves, wall time. */
function header(cfg: ExperimentConfig, outDir: string, curves: AlCurve[]): string[] {
  const al = cfg.al!;
  const steps = curves.flatMap((c) => c.steps);
  const planned = curves.reduce((a, c) => a + c.planned, 0);
  const complete = curves.filter((c) => c.complete).length;
  const partial = curves.filter((c) => !c.complete && c.steps.length > 0).length;
  const sum = (f: (s: (typeof steps)[number]) => number) => steps.reduce((a, s) => a + f(s), 0);
  const models = Object.entries(cfg.models).map(([name, m]) => {
    const s = cellSettings(cfg, cfg.tasks[0]!, name).al!;
    return `${name} (${m.family}, ${m.path}; ${tuningWords(s.peft)}; lr ${num(s.lr)}, ${s.epochs} epochs, batch ${s.batch_size})`;
  });
  return [
    `Steps finished: ${steps.length} of ${planned}. Curves (task x model x strategy x seed): ${complete} complete, ` +
      `${partial} partial, ${curves.length - complete - partial} not started, of ${curves.length}.`,
    `Tasks: ${cfg.tasks.map((t) => `${t} (${METRIC_TITLES[TASK_META[t].metric] ?? TASK_META[t].metric} on ${TASK_META[t].evalSplit})`).join(', ')}.`,
    `Models: ${models.join('; ')}.`,
    `Pool: ${cfg.tasks.map((t) => poolWords(cfg, outDir, curves, t)).join('; ')}.`,
    `Protocol: warm start ${al.warm_start} examples drawn by the seed (the same for every strategy), ${al.query} ` +
      `queried per step, budget ${al.budget}; each step fine-tunes ${al.reinit ? 'the pretrained model afresh' : "from the previous step's weights"}. ` +
      `Strategies: ${list(al.strategies)}. Seeds: ${list(al.seeds)}.`,
    `Wall time: ${duration(sum((s) => s.seconds))}, the sum of the finished steps' seconds (training and evaluation ` +
      `${duration(sum((s) => s.r.seconds.train))}, scoring the pool ${duration(sum((s) => s.r.seconds.score))}, ` +
      `selecting ${duration(sum((s) => s.r.seconds.select))}).`,
  ];
}

export async function writeAlReport(
  cfg: ExperimentConfig,
  outDir: string,
  grid: Grid,
  tracking: string,
): Promise<ReportFiles> {
  const title = `${cfg.name}: active learning`;
  const plotsDir = join(outDir, 'plots');
  const tablesDir = join(outDir, 'tables');
  ensureDir(plotsDir);
  ensureDir(tablesDir);
  const curves = readCurves(grid, outDir);
  const metricOf = (task: string) => METRIC_TITLES[TASK_META[task as TaskName].metric] ?? 'metric';
  const metrics = [...new Set(cfg.tasks.map(metricOf))];
  const metricWords = metrics.length === 1 ? metrics[0]! : 'dev metric';
  const md: string[] = [`# ${title}`, ''];
  const html: HtmlBlock[] = [];
  const plots: string[] = [];
  const intro = header(cfg, outDir, curves);
  md.push(...intro.map((t) => `- ${t}`), '');
  html.push({ text: intro });

  const section = (heading: string, text: string[], table?: Table, textCols = 1) => {
    md.push(`## ${heading}`, '', ...text.map((t) => `${t}\n`), ...(table ? mdTable(table, textCols) : []));
    html.push({ heading, text, ...(table && { table }) });
  };
  const chart = async (spec: VegaLiteSpec, slug: string, alt: string, caption: string) => {
    const files = await writeChart(spec, join(plotsDir, slug));
    plots.push(files.svg, files.png);
    md.push(`![${alt}](plots/${slug}.svg)`, '', `${caption}\n`);
    html.push({ svg: readFileSync(files.svg, 'utf8'), caption });
  };

  // learning curves and their summaries
  const points = curvePoints(curves);
  const auc = aucRows(curves);
  section(
    'Learning curves: AUC and RIPL',
    [
      'AUC: the trapezoid area under a curve (dev metric vs labelled examples) divided by its range of sizes, per ' +
        'complete curve, then mean ± sample std over seeds (n = complete curves). RIPL: (AUC - AUC_random) / ' +
        '(1 - AUC_random) of the mean AUCs, same task and tuning. At the budget: the dev metric of the last step.',
      'A partial curve (killed or still running) counts in the plot at the steps it finished, not in AUC or at ' +
        'the budget.',
    ],
    aucTable(auc, metricOf),
    3,
  );
  const partial = curves.filter((c) => !c.complete && c.steps.length > 0);
  if (partial.length) {
    const lines = partial.map(
      (c) =>
        `partial: ${c.task} · ${tunedName(c)} ${c.strategy} seed ${c.seed}: ${c.steps.length} of ${c.planned} ` +
        `steps finished (up to ${c.steps.at(-1)!.r.labelled} of ${c.budget} labelled)`,
    );
    md.push(...lines.map((l) => `- ${l}`), '');
    html.push({ text: lines });
  }
  if (points.length)
    await chart(
      learningCurveChart(
        points.map((p) => ({ ...p, tuning: tunedName(p) })),
        { title: `${cfg.name}: learning curves`, subtitle: 'mean over seeds, band ± 1 std', metricName: metricWords },
      ),
      'learning-curves',
      'learning curves',
      'Dev metric after each step vs the examples it trained on; one panel per task and tuning, colour = strategy. ' +
        'Band: ± 1 sample std over the seeds that finished the step.',
    );

  // forgetting: full fine-tuning vs PEFT
  const forgetting = forgettingRows(curves);
  section(
    'Forgetting of the labelled examples: full fine-tuning vs PEFT',
    [
      "Over each step's training epochs, per labelled example: forgetting events (right at one epoch, wrong at the " +
        'next), forgotten at least once, never learned (never right). Each curve averages its finished steps; mean ' +
        '± sample std over curves (all strategies and seeds; n = curves).',
    ],
    forgettingTable(forgetting),
    2,
  );
  const never = neverLearnedRows(curves);
  if (never.length)
    await chart(
      neverLearnedChart(
        never.map((p) => ({ ...p, tuning: tunedName(p) })),
        { title: `${cfg.name}: never-learned share vs labelled examples`, subtitle: 'band ± 1 std over curves' },
      ),
      'never-learned',
      'never-learned share',
      "Share of a step's labelled examples never classified right during its training, over every strategy and seed.",
    );

  // representation stability
  const cka = ckaRows(curves);
  if (cka.length) {
    section(
      'Representation stability: linear CKA per layer',
      [
        'CKA between the pretrained and the fine-tuned model on the probe, per layer (mean-pooled tokens), at the ' +
          'last step of complete curves: mean ± sample std over strategies and seeds. To the previous step: each ' +
          "curve's mean over its steps, then over curves. 1 = the same representation up to rotation and scale.",
      ],
      ckaTable(cka),
      2,
    );
    const last = cka.filter((r) => r.pretrained.n > 0);
    if (last.length)
      await chart(
        ckaLayerChart(
          last.map((r) => ({ ...r, ...r.pretrained, tuning: tunedName(r) })),
          { title: `${cfg.name}: CKA to the pretrained model at the last step`, subtitle: 'bars ± 1 std' },
        ),
        'cka-layers',
        'CKA per layer',
        'Per layer (0 = embeddings), CKA(pretrained, fine-tuned) of the probe at the budget; colour = tuning.',
      );
  } else section('Representation stability: linear CKA per layer', ['no step with CKA yet (al.probe_size 0?)']);

  md.push(
    `Per-step folders (job.json, metrics, labelled.json, the dynamics record, log): ${outDir}/<task>/<model>/al/. ` +
      `MLflow: ${/^https?:/i.test(tracking) ? `runs on the tracking server ${tracking}` : `\`mlflow ui --backend-store-uri ${tracking}\``}. ` +
      'Self-contained page: report.html.',
    '',
  );

  // tables and the summary: the AUC table is the summary (one row per task, tuning and strategy)
  const tables = alCsvs({ auc, points, forgetting, never, cka });
  for (const [name, text] of Object.entries(tables)) writeFileAtomic(join(tablesDir, `${name}.csv`), text);
  const report = join(outDir, 'report.md');
  const htmlFile = join(outDir, 'report.html');
  const summaryCsv = join(outDir, 'summary.csv');
  const json = join(outDir, 'summary.json');
  writeFileAtomic(report, md.join('\n'));
  writeFileAtomic(htmlFile, htmlReport(title, html));
  writeFileAtomic(summaryCsv, tables['auc-ripl']!);
  writeFileAtomic(
    json,
    JSON.stringify(
      {
        name: cfg.name,
        kind: 'al',
        jobs: grid.jobs.length,
        finished: curves.reduce((a, c) => a + c.steps.length, 0),
        curves: curves.map((c) => ({
          id: c.id,
          task: c.task,
          model: c.model,
          tuning: c.tuning,
          strategy: c.strategy,
          seed: c.seed,
          complete: c.complete,
          steps: c.planned,
          points: c.steps.map((s) => ({ step: s.r.step, labelled: s.r.labelled, metric: s.r.devMetric })),
        })),
        auc,
        forgetting,
        cka,
      },
      (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
      2,
    ) + '\n',
  );
  // no pruning rows: the grid's MLflow summary metrics are the pruning table's; differences: the table vs random
  return {
    report,
    html: htmlFile,
    csv: summaryCsv,
    json,
    differences: join(tablesDir, 'auc-ripl.csv'),
    plots,
    rows: [],
  };
}
