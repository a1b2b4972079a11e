// The job graph of an active-learning experiment: per (task, model, strategy, seed) one learning curve, a chain of
// step jobs. Step s trains on warm_start + s * query labelled examples and (but the last) queries `query` more; its
// key holds the previous step's key, so a curve is identified by everything before it and a changed setting redoes
// the steps from where it acts. The model is the tuning method: a models.<m> entry with its peft (and its al:
// overrides, e.g. the learning rate).
import { checkStrategyOptions, strategy } from '@prunelab/active';
import { whereOf } from './config.ts';
import { dataKey as dataStateKey, type DataStates } from './data-digest.ts';
import { type AlStepJob, type Grid, hash, mitigationKey, modelKey } from './grid.ts';
import { keyAt, parseEntry } from './mitigation-config.ts';
import { fileDigest } from './mlflow-inputs.ts';
import { modelConfigReader, planPeft, type JobPeft } from './peft.ts';
import { cellSettings, dataSettingsKey, type AlCfg, type ExperimentConfig, type TaskName } from './schema.ts';
import type { ModelWeights } from './weights.ts';

/** Steps of a curve: 0 (the warm start) to the step that reaches the budget. */
export const stepCount = (al: Pick<AlCfg, 'warm_start' | 'query' | 'budget'>) =>
  Math.floor((al.budget - al.warm_start) / al.query) + 1;

/** The folder of a curve, relative to results/<name>/. */
export const curveId = (task: string, model: string, strategyName: string, seed: number) =>
  `${task}/${model}/al/${strategyName}-seed-${seed}`;

const pad = (s: number) => String(s).padStart(2, '0');

export function expandAlGrid(cfg: ExperimentConfig, weights: Record<string, ModelWeights>, data: DataStates): Grid {
  const jobs: AlStepJob[] = [];
  const cells: Grid['cells'] = [];
  const readConfig = modelConfigReader();
  for (const task of cfg.tasks) {
    for (const model of Object.keys(cfg.models)) {
      cells.push({ task, model });
      const s = cellSettings(cfg, task, model);
      const al = s.al!;
      const record = data[dataStateKey(task, s.data)]?.record ?? null;
      const peft: JobPeft | null = planPeft(
        cfg,
        task,
        model,
        'al',
        () => (weights[model]?.digest ? readConfig(weights[model].dir) : null),
        whereOf(cfg),
      );
      // what decides a step besides its strategy, seed and place in the curve; the snapshot interval decides nothing
      const {
        seeds: _seeds,
        strategies: _strategies,
        strategy_options: _options,
        checkpoint_every: _c,
        peft: _p,
        pool,
        budget: _budget, // where a curve stops, not what a step does: a larger budget keeps the steps made
        mitigation: _mit,
        ...training
      } = al;
      const mit = parseEntry(al.mitigation, keyAt(whereOf(cfg), ['al', 'mitigation']));
      const base = {
        task,
        data: dataSettingsKey(s.data),
        digest: record?.digest ?? 'not read yet',
        model: modelKey(cfg, weights, model),
        al: { ...training, pool: pool && fileDigest(pool) }, // by content: an edited file redoes its curves, a moved one does not
        ...(peft && { peft: peft.options }),
        ...mitigationKey(mit),
      };
      const steps = stepCount(al);
      for (const name of al.strategies) {
        const options = checkStrategyOptions(strategy(name), al.strategy_options[name], `al.strategy_options.${name}`);
        for (const seed of al.seeds) {
          const curve = curveId(task, model, name, seed);
          let prev: AlStepJob | null = null;
          for (let step = 0; step < steps; step++) {
            const last = step === steps - 1;
            const job: AlStepJob = {
              kind: 'al',
              id: `${curve}/step-${pad(step)}`,
              // query: 0 for the last step, which selects nothing (a larger budget redoes it to select)
              hash: hash({
                ...base,
                strategy: name,
                options,
                seed,
                step,
                query: last ? 0 : al.query,
                prev: prev?.hash ?? null,
              }),
              deps: prev ? [prev.id] : [],
              task: task as TaskName,
              model,
              settings: s,
              strategy: name,
              options,
              seed,
              step,
              labelled: al.warm_start + step * al.query,
              query: last ? 0 : al.query,
              prev: prev?.id ?? null,
              peft,
              ...(mit.spec.method !== 'none' && { mitigation: mit }),
              weights: weights[model]?.digest ?? null,
              ...(weights[model]?.digest === null && { weightsMissing: true as const }),
              data: record,
              ...(record === null && { dataMissing: true as const }),
              label: `al ${task}/${model} ${name} seed ${seed} step ${step + 1}/${steps}`,
            };
            jobs.push(job);
            prev = job;
          }
        }
      }
    }
  }
  const byId = new Map(jobs.map((j) => [j.id, j]));
  if (byId.size !== jobs.length) throw new Error('internal: two AL steps share a folder; report this with the config');
  return { jobs, byId, cells };
}
