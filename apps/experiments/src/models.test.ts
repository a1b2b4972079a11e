// A model path the user gives must exist: random weights only where the config asks for them in so many words,
// and then flagged (tiny-model.ts marker -> job.json random_weights, MLflow tag prunelab.random_weights).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig, validateConfig } from './config.ts';
import { ensureModel, hasRandomWeights } from './models.ts';
import { RANDOM_MARKER } from './tiny-model.ts';

const tmp = mkdtempSync(join(tmpdir(), 'prunelab-models-'));

test('a mistyped model path is an error naming models.<m>.path and the explicit way to random weights', async () => {
  const p = join(tmp, 'typo.yaml');
  writeFileSync(p, `name: t\nmodels:\n  roberta:\n    path: ${join(tmp, 'robreta-base')}\n    family: roberta\n`);
  const cfg = loadConfig(p);
  assert.equal(cfg.models.roberta!.generate_if_missing, false); // the default: never random behind the user's back
  const lines: string[] = [];
  await assert.rejects(
    ensureModel('roberta', cfg.models.roberta!, (l) => lines.push(l)),
    (e: Error) => {
      assert.match(e.message, /^model 'roberta': models\.roberta\.path is '.*robreta-base', but .* does not exist/);
      assert.match(e.message, /Fix models\.roberta\.path/);
      assert.match(e.message, /set models\.roberta\.generate_if_missing: true/);
      return true;
    },
  );
  assert.ok(!existsSync(join(tmp, 'robreta-base')), 'nothing was made');
  // a folder that exists but holds no model says so
  mkdirSync(join(tmp, 'empty'));
  const m = { ...cfg.models.roberta!, path: join(tmp, 'empty') };
  await assert.rejects(
    ensureModel('roberta', m, () => {}),
    /empty has no config\.json\. Fix models\.roberta\.path/,
  );
});

test('generate_if_missing: true written out makes a tiny model there, marked as random weights', async () => {
  const dir = join(tmp, 'tiny');
  const cfg = validateConfig(
    { name: 't', models: { tiny: { path: dir, generate_if_missing: true, init_seed: 3 } } },
    () => 'test',
  );
  const lines: string[] = [];
  assert.equal(await ensureModel('tiny', cfg.models.tiny!, (l) => lines.push(l)), dir);
  assert.ok(existsSync(join(dir, 'config.json')) && existsSync(join(dir, RANDOM_MARKER)));
  assert.ok(hasRandomWeights(dir));
  assert.match(lines.join('\n'), /created a tiny bert with random weights \(seed 3\)/);
  // a tiny folder made before the marker existed is recognised (the family's tiny config exactly) and marked
  rmSync(join(dir, RANDOM_MARKER));
  await ensureModel('tiny', { ...cfg.models.tiny!, generate_if_missing: false }, () => {});
  assert.ok(!hasRandomWeights(dir), 'only where the entry asks for generated weights');
  await ensureModel('tiny', cfg.models.tiny!, (l) => lines.push(l));
  assert.ok(hasRandomWeights(dir));
  assert.match(lines.at(-1)!, /is a tiny bert made earlier with random weights; marked as such/);
  // the shipped default model asks for it explicitly too
  assert.equal(validateConfig({ name: 'd' }, () => 'test').models['tiny-bert']!.generate_if_missing, true);
});
