// The AL report's numbers as text: table cells of mean ± std (n = k) ('-' when nothing finished), the markdown /
// HTML tables and the CSV files (one row per summary, mean, std and n in columns).
import {
  type AucRow,
  type CkaRow,
  type CurvePointRow,
  FORGETTING_MEASURES,
  type ForgettingRow,
  type NeverLearnedRow,
  type Summary,
  tunedName,
} from './al-report-tables.ts';

const fixed = (x: number, d: number, k: number) => (k * x).toFixed(d);
export function cell(s: Summary, digits: number, percent: boolean): string {
  if (s.n === 0) return '-';
  const k = percent ? 100 : 1;
  return `${fixed(s.mean, digits, k)}${s.n > 1 ? ` ± ${fixed(s.std, digits, k)}` : ''} (n = ${s.n})`;
}
const signed = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}%`;

export interface Table {
  header: string[];
  rows: string[][];
}

export function curvesWords(r: Pick<AucRow, 'complete' | 'partial' | 'notStarted'>): string {
  const parts = [`${r.complete} complete`];
  if (r.partial) parts.push(`${r.partial} partial`);
  if (r.notStarted) parts.push(`${r.notStarted} not started`);
  return parts.join(', ');
}

export function aucTable(rows: AucRow[], metric: (task: string) => string): Table {
  return {
    header: ['task', 'tuning', 'strategy', 'AUC %', 'RIPL vs random', 'at the budget %', 'curves'],
    rows: rows.map((r) => [
      `${r.task} (${metric(r.task)})`,
      tunedName(r),
      r.strategy,
      cell(r.auc, 2, true),
      r.strategy === 'random' ? (r.auc.n ? 'baseline' : '-') : r.ripl === null ? '-' : signed(r.ripl),
      r.final.n ? `${cell(r.final, 2, true)} @ ${r.budget}` : '-',
      curvesWords(r),
    ]),
  };
}

/** Full fine-tuning and PEFT side by side: one column per model of the task. */
export function forgettingTable(rows: ForgettingRow[]): Table {
  const models = [...new Map(rows.map((r) => [r.model, tunedName(r)])).entries()];
  return {
    header: ['task', 'measure (mean over steps, then curves)', ...models.map(([, n]) => n)],
    rows: [...new Set(rows.map((r) => r.task))].flatMap((task) =>
      FORGETTING_MEASURES.map(({ key, title, percent }) => [
        task,
        `${title}${percent ? ' %' : ''}`,
        ...models.map(([m]) => {
          const r = rows.find((x) => x.task === task && x.model === m);
          return r ? cell(r.measures[key], percent ? 2 : 3, percent) : '-';
        }),
      ]),
    ),
  };
}

export function ckaTable(rows: CkaRow[]): Table {
  const models = [...new Map(rows.map((r) => [r.model, tunedName(r)])).entries()];
  const keys = [...new Map(rows.map((r) => [`${r.task}|${r.index}`, r])).values()];
  return {
    header: [
      'task',
      'layer',
      ...models.flatMap(([, n]) => [`${n}: to pretrained, last step`, `${n}: to the previous step`]),
    ],
    rows: keys.map((k) => [
      k.task,
      k.layer,
      ...models.flatMap(([m]) => {
        const r = rows.find((x) => x.task === k.task && x.model === m && x.index === k.index);
        return r ? [cell(r.pretrained, 3, false), cell(r.previous, 3, false)] : ['-', '-'];
      }),
    ]),
  };
}

type Value = string | number | null;

/** CSV with a header; a field with a comma, quote or newline is quoted; NaN and null are empty. */
/** A fraction as a percentage with `digits` decimals; not finite: a dash. */
export const pctCell = (x: number, digits = 2) => (Number.isFinite(x) ? (100 * x).toFixed(digits) : '–');

export function csv(header: string[], rows: Value[][]): string {
  const f = (v: Value) => {
    if (v === null || (typeof v === 'number' && Number.isNaN(v))) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(f).join(',')).join('\n') + '\n';
}

const flat = (prefix: string, s: Summary) => ({
  [`${prefix}mean`]: s.mean,
  [`${prefix}std`]: s.std,
  [`${prefix}n`]: s.n,
});
/** Objects as CSV, the columns in the header's order (fields that are not a string or number: empty). */
const records = (header: string[], rs: object[]) =>
  csv(
    header,
    rs.map((r) =>
      header.map((h) => {
        const v = (r as Record<string, unknown>)[h];
        return typeof v === 'number' || typeof v === 'string' ? v : null;
      }),
    ),
  );
const KEY = ['task', 'model', 'tuning'];

/** tables/<name>.csv of the report: every number of its tables and plots. */
export function alCsvs(d: {
  auc: AucRow[];
  points: CurvePointRow[];
  forgetting: ForgettingRow[];
  never: NeverLearnedRow[];
  cka: CkaRow[];
}): Record<string, string> {
  const summary = ['mean', 'std', 'n'];
  return {
    'auc-ripl': records(
      [
        ...KEY,
        'strategy',
        'auc_mean',
        'auc_std',
        'auc_n',
        'ripl',
        'final_mean',
        'final_std',
        'final_n',
        'budget',
        'complete',
        'partial',
      ],
      d.auc.map((r) => ({ ...r, ...flat('auc_', r.auc), ...flat('final_', r.final) })),
    ),
    'learning-curves': records([...KEY, 'strategy', 'labelled', ...summary], d.points),
    forgetting: records(
      [...KEY, 'measure', ...summary],
      d.forgetting.flatMap((r) => FORGETTING_MEASURES.map(({ key }) => ({ ...r, measure: key, ...r.measures[key] }))),
    ),
    'never-learned': records([...KEY, 'labelled', ...summary], d.never),
    cka: records(
      [
        ...KEY,
        'layer',
        'pretrained_mean',
        'pretrained_std',
        'pretrained_n',
        'previous_mean',
        'previous_std',
        'previous_n',
      ],
      d.cka.map((r) => ({ ...r, ...flat('pretrained_', r.pretrained), ...flat('previous_', r.previous) })),
    ),
  };
}
