// What `status` and `--dry-run` print: the expanded grid, each job's state, and the cost of what is left
// (examples x epochs, and a time estimate where a throughput has been measured on this machine).
import { join } from 'node:path';
import { readSubset } from '@prunelab/pruning';
import { jobCost, type Grid, type Job, type SubsetRef } from './grid.ts';
import { jobStatus, exists } from './job-state.ts';
import { modelDir } from './models.ts';
import { describeBuildCheck, type BuildCheck } from './provenance.ts';
import type { ExperimentConfig } from './schema.ts';
import { staleReason } from './stale.ts';
import { readThroughput, throughputKey } from './throughput.ts';

function clock(seconds: number): string {
  const m = Math.round(seconds / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** `check`: finished jobs against this process's numeric build; `notes`: lines printed first (build, model folders). */
export function describePlan(
  cfg: ExperimentConfig,
  grid: Grid,
  outDir: string,
  backend: string,
  opts: { verbose?: boolean; check?: BuildCheck; notes?: string[] } = {},
): string {
  const speeds = readThroughput();
  const sizeOf = (ref: SubsetRef) => {
    const f = join(outDir, ref.file);
    return exists(f) ? readSubset(f).size : undefined;
  };
  const lines: string[] = [];
  const counts: Record<string, number> = {};
  let totalWork = 0;
  let seconds = 0;
  const unknownSpeed = new Set<string>();
  let upperBound = false;
  const madeBy = new Map([...(opts.check?.other ?? [])].flatMap(([key, ids]) => ids.map((id) => [id, key] as const)));
  for (const [i, job] of grid.jobs.entries()) {
    const status = jobStatus(outDir, job, opts.check?.stale);
    counts[status] = (counts[status] ?? 0) + 1;
    const c = jobCost(job, sizeOf);
    const work = c.examples * c.epochs;
    if (status !== 'done') {
      totalWork += work;
      if (!c.exact) upperBound = true;
      if (work > 0) {
        const m = cfg.models[job.model]!;
        const method = job.kind === 'scores' ? undefined : job.peft?.spec.method;
        const key = throughputKey(modelDir(m), job.settings.data.max_length, backend, method);
        const s = speeds[key]?.examplesPerSecond;
        if (s) seconds += work / s;
        else unknownSpeed.add(`${job.model} at length ${job.settings.data.max_length}`);
      }
    }
    if (opts.verbose !== false) {
      const cost = work ? `${c.examples}${c.exact ? '' : '≤'} ex x ${c.epochs} ep` : '';
      const by = madeBy.get(job.id);
      const why = status === 'stale' ? staleReason(outDir, job, grid, opts.check?.stale) : undefined;
      lines.push(
        `${String(i + 1).padStart(4)}  ${status.padEnd(7)}  ${job.kind.padEnd(6)}  ${job.id.padEnd(56)}  ${cost}${by ? `  (made by ${by})` : ''}${why ? `  (stale: ${why})` : ''}`,
      );
    }
  }
  const byKind = (k: Job['kind']) => grid.jobs.filter((j) => j.kind === k).length;
  const summary = [
    `grid ${cfg.name}: ${cfg.tasks.length} task(s) x ${Object.keys(cfg.models).length} model(s); ${grid.jobs.length} ` +
      `jobs ` +
      (cfg.al
        ? `(${byKind('al')} AL steps: ${grid.jobs.filter((j) => j.kind === 'al' && j.step === 0).length} learning curves)`
        : `(${byKind('phase1')} phase-1 runs, ${byKind('scores')} scoring, ${byKind('phase2')} phase-2 runs` +
          `${byKind('graft') ? `, ${byKind('graft')} graft jobs` : ''})`),
    `status: ${Object.entries(counts)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
    `left to train: ${totalWork.toLocaleString('en-US')} ` +
      `example-epochs${upperBound ? ' (an upper bound: subset sizes are known after phase 1)' : ''}`,
    unknownSpeed.size === 0
      ? `time estimate: ${clock(seconds)} of training on ${backend} at the measured throughput ` +
        `(.cache/throughput.json), one job at a time; evaluation and model loading come on top` +
        (byKind('graft') ? ' (and the graft jobs: about 2 min each for USE-Lite on 2 cores, docs/grafting.md)' : '')
      : `time estimate: ${seconds > 0 ? `${clock(seconds)} for the measured part; ` : ''}no throughput measured yet for ${[...unknownSpeed].join(', ')} on ${backend} (a finished epoch records one)`,
  ];
  const notes = [...(opts.notes ?? []), ...(opts.check ? describeBuildCheck(opts.check) : [])];
  return [...notes, ...summary, '', ...lines].join('\n');
}
