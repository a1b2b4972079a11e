// Graft jobs of a pruning grid (graft: in the config): one per fine-tuning run graft.runs names, after it. The run
// keeps its final weights for it (keepWeights: final/ in its folder, not in its key). A graft job's key is its
// run's key plus the graft settings, so a retrained run or a changed setting redoes it.
import { winningTicketRemoved } from '@prunelab/pruning';
import type { GraftJob, Job, Phase1Job, Phase2Job } from './grid.ts';
import { hash } from './grid.ts';
import type { ExperimentConfig, GraftRun } from './schema.ts';

/** The run kind a training job is for graft.runs, or undefined when grafting never reads it. */
export function graftRunOf(job: Job): GraftRun | undefined {
  if (job.kind === 'phase1') return job.mitigation ? undefined : 'phase1';
  if (job.kind !== 'phase2' || job.mitigation) return undefined;
  if (!job.subset) return 'full';
  const s = job.subset;
  const ticket = s.removed.join() === winningTicketRemoved(s.variant.runsUsed).join();
  // the winning ticket of the cell's own scores, all runs and epochs (not a transfer or an ablation variant)
  return ticket && s.variant.key === 'all' && s.scoredBy === job.model ? job.method : undefined;
}

export function graftJobs(cfg: ExperimentConfig, jobs: Job[]): GraftJob[] {
  if (!cfg.graft) return [];
  const { runs, ...options } = cfg.graft;
  const out: GraftJob[] = [];
  for (const j of jobs) {
    const kind = graftRunOf(j);
    if (!kind || !runs.includes(kind)) continue;
    const run = j as Phase1Job | Phase2Job;
    run.keepWeights = true;
    out.push({
      kind: 'graft',
      id: `${run.task}/${run.model}/graft/${kind}-seed-${run.seed}`,
      hash: hash({ graft: run.hash, options }),
      deps: [run.id],
      task: run.task,
      model: run.model,
      settings: run.settings,
      run: run.id,
      runKind: kind,
      seed: run.seed,
      trainSubset: run.kind === 'phase2' && run.subset ? run.subset.file : null,
      peft: run.peft,
      options,
      weights: run.weights,
      ...(run.weightsMissing && { weightsMissing: true as const }),
      data: run.data,
      ...(run.dataMissing && { dataMissing: true as const }),
      label: `graft ${run.task}/${run.model} ${kind} seed ${run.seed}`,
    });
  }
  return out;
}
