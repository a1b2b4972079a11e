// Tasks defined in the config (`custom_tasks.<name>`): checked and registered with libs/datasets when the config is
// read, so the grid, the readers, the kinds and the reports see them as registry rows. Their paths are resolved
// against the folder of the config file that defines them and kept absolute in the resolved config, so a queue job
// that reads results/<name>/config.json registers the same files.
import { CustomTaskError, customTaskSpec, registerCustomTasks, registerTask } from '@prunelab/datasets';
import type { ExperimentConfig } from './schema.ts';

export class CustomTasksConfigError extends Error {}

type Where = (path: string[]) => string;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Checks and registers `raw` (the config's custom_tasks); returns each definition with absolute paths. `dirOf` is the
 * folder relative paths of a key start from (the defining file's); errors name file:line and the key.
 */
export function readCustomTasks(
  raw: unknown,
  where: Where,
  dirOf: (path: string[]) => string,
): Record<string, Record<string, unknown>> {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw))
    throw new CustomTasksConfigError(
      `${where(['custom_tasks'])}: 'custom_tasks' must map task names to definitions, e.g. custom_tasks: { my_reviews: ` +
        '{ train: data/train.csv, dev: data/dev.csv, text: review, label: stars, labels: [neg, pos] } }',
    );
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, def] of Object.entries(raw)) {
    try {
      const spec = customTaskSpec(name, def, dirOf(['custom_tasks', name, 'train']));
      registerTask(spec);
      out[name] = spec.custom as Record<string, unknown>;
    } catch (e) {
      if (e instanceof CustomTaskError) throw new CustomTasksConfigError(`${where(e.key)}: ${e.message}`);
      throw e;
    }
  }
  return out;
}

/** Registers the custom tasks of a resolved config (config.json: absolute paths), e.g. in a queue job's process. */
export function registerConfigTasks(cfg: ExperimentConfig): void {
  registerCustomTasks(cfg.custom_tasks ?? {}, () => process.cwd());
}
