// `al:` in a config: what the key-by-key schema checks cannot see - a budget the queries reach, known strategies
// and their options, a pool file that exists and holds ids, tasks an AL step can query on, and no pruning-grid
// sections beside it (they would be silently ignored).
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkStrategyOptions, STRATEGY_NAMES, strategy } from '@prunelab/active';
import { kindOfTask } from '@prunelab/datasets';
import { readSubset } from '@prunelab/pruning';
import type { AlCfg, ExperimentConfig } from './schema.ts';

type Where = (path: string[]) => string;

export class AlConfigError extends Error {}

/** Sections of the pruning grid: an AL experiment runs none of them. */
const GRID_ONLY = ['phase1', 'phase2', 'pruning'] as const;

/** The ids of a pool file: a subset file (prunelab-subset/1 JSON) or one id per line ('#' lines and blanks skipped). */
export function readIdFile(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  if (text.trimStart().startsWith('{')) return readSubset(file).ids;
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/**
 * Paths made absolute (al.pool, and strategy options that are files) relative to the file that set them, then every
 * rule between keys checked. `raw` is the merged config as written.
 */
export function checkAlConfig(
  cfg: ExperimentConfig,
  raw: Record<string, unknown>,
  where: Where,
  dirOf: (path: string[]) => string,
): void {
  const al = cfg.al;
  if (!al) return;
  for (const s of GRID_ONLY) {
    if (raw[s] !== undefined)
      throw new AlConfigError(
        `${where([s])}: '${s}' belongs to the pruning grid, but this config has al: (an active-learning experiment ` +
          `runs AL steps only); remove '${s}', or remove al: to run the pruning grid`,
      );
  }
  for (const [m, e] of Object.entries(cfg.models)) {
    for (const s of ['phase1', 'phase2'] as const) {
      if (e[s] !== undefined)
        throw new AlConfigError(
          `${where(['models', m, s])}: 'models.${m}.${s}' is a pruning-grid setting; in an al: experiment set ` +
            `models.${m}.al (e.g. its lr)`,
        );
    }
  }
  if (al.pool) {
    al.pool = resolve(dirOf(['al', 'pool']), al.pool);
    if (!existsSync(al.pool))
      throw new AlConfigError(
        `${where(['al', 'pool'])}: al.pool: ${al.pool} does not exist; give an id file (a subset file of a pruning ` +
          'run, or one id per line) relative to this config, or null for the whole training split',
      );
    const ids = readIdFile(al.pool);
    if (ids.length < al.budget)
      throw new AlConfigError(
        `${where(['al', 'pool'])}: al.pool holds ${ids.length} ids, fewer than al.budget = ${al.budget}; a larger ` +
          'pool or a smaller budget',
      );
  }
  checkCurve(al, where);
  for (const name of Object.keys(al.strategy_options)) {
    if (!al.strategies.includes(name))
      throw new AlConfigError(
        `${where(['al', 'strategy_options', name])}: al.strategy_options.${name}: '${name}' is not in al.strategies ` +
          `(${al.strategies.join(', ')}); add it there or remove its options`,
      );
  }
  for (const name of al.strategies) {
    if (!STRATEGY_NAMES.includes(name))
      throw new AlConfigError(
        `${where(['al', 'strategies'])}: al.strategies: '${name}' is not a strategy; strategies: ` +
          `${STRATEGY_NAMES.join(', ')} (docs/active-learning.md)`,
      );
    const s = strategy(name);
    const given = al.strategy_options[name];
    for (const [key, spec] of Object.entries(s.options ?? {})) {
      const v = given?.[key];
      if (spec.path && typeof v === 'string') given![key] = resolve(dirOf(['al', 'strategy_options', name, key]), v);
    }
    try {
      checkStrategyOptions(s, given, `al.strategy_options.${name}`);
    } catch (e) {
      const m = /^al\.strategy_options\.[\w]+\.?([\w]*)/.exec((e as Error).message);
      throw new AlConfigError(
        `${where(['al', 'strategy_options', name, ...(m?.[1] ? [m[1]] : [])])}: ${(e as Error).message}`,
      );
    }
  }
  for (const task of cfg.tasks) {
    const kind = kindOfTask(task);
    if (kind.kind !== 'classification' || kind.head !== 'seqcls')
      throw new AlConfigError(
        `${where(['tasks'])}: task ${task} is ${kind.kind}; the AL strategies query on class probabilities, so an ` +
          'al: experiment takes classification tasks only',
      );
  }
}

/** The curve's sizes: warm start, then whole queries up to the budget. */
function checkCurve(al: AlCfg, where: Where): void {
  if (al.budget < al.warm_start)
    throw new AlConfigError(
      `${where(['al', 'budget'])}: al.budget = ${al.budget} is below al.warm_start = ${al.warm_start}; the budget ` +
        'counts the warm start too',
    );
  const extra = (al.budget - al.warm_start) % al.query;
  if (extra)
    throw new AlConfigError(
      `${where(['al', 'budget'])}: al.budget = ${al.budget} is not al.warm_start (${al.warm_start}) plus whole ` +
        `queries of ${al.query}; use ${al.budget - extra} or ${al.budget - extra + al.query}`,
    );
}
