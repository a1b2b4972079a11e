// The report's summary table as MLflow metrics of the grid's run: one mean and one std per row (task, model,
// variant, method, subset, scoring model), as fractions like the jobs' metrics.
import type { ReportRow } from './report-tables.ts';

/** MLflow keys allow [/\w.\- ]: anything else in a name becomes '_'. */
const clean = (s: string) => s.replace(/[^\w.\- ]/g, '_');

export function summaryMetrics(rows: ReportRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) {
    if (r.n === 0) continue; // no finished seed: nothing to summarise
    const from = r.scoredBy && r.scoredBy !== r.model ? `-from-${r.scoredBy}` : '';
    const base = ['summary', r.task, r.model, r.variant, `${r.method}-${r.subset || 'full'}${from}`]
      .map(clean)
      .join('/');
    out[`${base}/mean`] = r.mean;
    out[`${base}/std`] = r.std;
    out[`${base}/size`] = r.size;
  }
  return out;
}
