// Which numeric build made the finished jobs, against the build of this process. The build is not in a job's
// hash: with run.numeric_build: report (default) finished jobs are reused whatever build made them and `run` and
// `status` only say which differ; with 'strict' those jobs, and the finished jobs that depend on them, are stale.
import { chooseBackend, describeBuild, numericBuild, type NumericBuild } from '@prunelab/finetune';
import type { Grid, Job } from './grid.ts';
import { readDone } from './job-state.ts';
import type { ExperimentConfig, NumericBuildMode } from './schema.ts';

/** Scores jobs only count over phase-1 records in plain JS: their output follows their inputs, not the build. */
const computes = (job: Job) => job.kind !== 'scores';

export interface BuildCheck {
  current: NumericBuild;
  mode: NumericBuildMode;
  /** finished training jobs made by another build, by that build's key ('unrecorded': before builds were recorded) */
  other: Map<string, string[]>;
  /** finished jobs to redo (strict only): those, and every finished job downstream of one */
  stale: Set<string>;
  /** unfinished jobs that will use results of another build (report mode: they mix builds) */
  mixing: string[];
}

export function checkBuilds(outDir: string, grid: Grid, current: NumericBuild, mode: NumericBuildMode): BuildCheck {
  const other = new Map<string, string[]>();
  const tainted = new Set<string>(); // made by another build, or using the results of such a job
  const stale = new Set<string>();
  const mixing: string[] = [];
  for (const job of grid.jobs) {
    // a job's deps come before it
    const done = readDone(outDir, job);
    const upstream = job.deps.some((d) => tainted.has(d));
    const key = done?.build?.key ?? 'unrecorded';
    const differs = !!done && computes(job) && key !== current.key;
    if (differs) other.set(key, [...(other.get(key) ?? []), job.id]);
    if (differs || upstream) tainted.add(job.id);
    if (done && (differs || upstream) && mode === 'strict') stale.add(job.id);
    if (!done && upstream) mixing.push(job.id);
  }
  return { current, mode, other, stale, mixing };
}

/** What `run` and `status` print about builds: nothing when every finished job was made by this one. */
export function describeBuildCheck(c: BuildCheck): string[] {
  const n = [...c.other.values()].reduce((a, ids) => a + ids.length, 0);
  if (n === 0) return [];
  const lines = [`numeric build: ${n} finished job(s) were made by another build than this one (${c.current.key}):`];
  for (const [key, ids] of c.other)
    lines.push(
      `  ${key}: ${ids.length} job(s): ${ids.slice(0, 3).join(', ')}${ids.length > 3 ? `, ... (+${ids.length - 3})` : ''}`,
    );
  lines.push(
    c.mode === 'strict'
      ? `  run.numeric_build: strict: they and ${c.stale.size - n} finished job(s) using their results are stale and ` +
          `run again`
      : `  run.numeric_build: report: they are reused${c.mixing.length ? `, and ${c.mixing.length} job(s) still to run will use their results` : ''} ` +
          '(set run.numeric_build: strict to redo them on this build)',
  );
  return lines;
}

/** The build this process computes with: the backend `run` would choose (for `status` and --dry-run). */
export async function currentBuild(
  cfg: ExperimentConfig,
): Promise<{ build: NumericBuild | null; backend: string | null; line: string }> {
  try {
    const choice = await chooseBackend(cfg.run.backend);
    const build = numericBuild();
    return { build, backend: choice.name, line: `numeric build: ${describeBuild(build)}` };
  } catch (e) {
    return {
      build: null,
      backend: null,
      line: `numeric build: unknown (${e instanceof Error ? e.message : String(e)})`,
    };
  }
}
