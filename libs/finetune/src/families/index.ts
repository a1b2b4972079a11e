// The model-family table: config.json's model_type -> its entry (family.ts). Adding a family is its file plus
// one row here; parseModelConfig, the heads, checkpoints and the app's family list all read this table.
import { bert } from './bert.ts';
import type { ModelFamily } from './family.ts';
import { opt } from './opt.ts';
import { roberta } from './roberta.ts';
import { useLite } from './use-lite.ts';

export const FAMILY_TABLE = {
  bert,
  roberta,
  opt,
  'use-lite': useLite,
};

/** A supported model_type. */
export type Arch = keyof typeof FAMILY_TABLE;
type ConfigOf<F> = F extends ModelFamily<infer C> ? C : never;
/** Any supported config.json, parsed: the union of every family's config. */
export type ModelConfig = ConfigOf<(typeof FAMILY_TABLE)[Arch]>;

export const FAMILY_NAMES = Object.keys(FAMILY_TABLE) as Arch[];

/** The family of a config.json without model_type: early BERT checkpoints omit it; transformers reads them as BERT. */
export const UNTYPED_FAMILY: Arch = 'bert';

for (const [key, f] of Object.entries(FAMILY_TABLE)) {
  if (f.modelType !== key) {
    throw new Error(`families/index.ts: the row '${key}' holds the family of model_type '${f.modelType}'`);
  }
}

function quoted(names: readonly string[]): string {
  const q = names.map((n) => `'${n}'`);
  return q.length > 1 ? `${q.slice(0, -1).join(', ')} and ${q[q.length - 1]}` : q.join('');
}

const isArch = (t: unknown): t is Arch => typeof t === 'string' && Object.hasOwn(FAMILY_TABLE, t);

/** The entry of a model_type; an unknown one is an error naming `file` and every supported model_type. */
export function familyOf(modelType: unknown, file = 'config.json'): ModelFamily<ModelConfig> {
  if (!isArch(modelType)) {
    const known = quoted(FAMILY_NAMES);
    throw new Error(`${file}: model_type '${String(modelType)}' is not supported; this engine loads ${known}`);
  }
  return FAMILY_TABLE[modelType] as ModelFamily<ModelConfig>;
}

/** The entry of a parsed config. */
export function familyOfConfig(c: ModelConfig): ModelFamily<ModelConfig> {
  return familyOf(c.model_type);
}

/** The raw config.json of the family's tiny test/smoke model (a copy: callers may change it). */
export function tinyConfig(name: Arch): Record<string, unknown> {
  return structuredClone(familyOf(name).tiny.config);
}
