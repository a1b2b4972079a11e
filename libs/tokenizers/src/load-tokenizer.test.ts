import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ByteLevelBpeTokenizer } from './bpe.ts';
import { loadTokenizer } from './load-tokenizer.ts';
import { SHARED_DATA } from './testing/shared-data.ts';
import { readTokenizerFixture, TOKENIZER_FIXTURES } from './testing/tokenizer-fixture.ts';
import { WordPieceTokenizer } from './wordpiece.ts';

const BERT_BASE = path.join(SHARED_DATA, 'tokenizers/bert-base-uncased');

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-loadtok-'));
}

test('a directory or a tokenizer.json path: model.type picks the implementation', () => {
  const wp = loadTokenizer(path.join(TOKENIZER_FIXTURES, 'bert-wordpiece'));
  assert.ok(wp instanceof WordPieceTokenizer);
  assert.equal(wp.kind, 'wordpiece');
  const bpe = loadTokenizer(path.join(TOKENIZER_FIXTURES, 'roberta-bpe', 'tokenizer.json'));
  assert.ok(bpe instanceof ByteLevelBpeTokenizer);
  assert.equal(bpe.kind, 'bpe');
  const r = readTokenizerFixture('roberta-bpe').records[0];
  assert.ok(r);
  assert.deepEqual(bpe.encode(r.text, r.text_pair).inputIds, r.pair.input_ids);
  assert.deepEqual(
    loadTokenizer(path.join(TOKENIZER_FIXTURES, 'roberta-bpe'), { template: 'opt' })
      .encode('Hello')
      .inputIds.slice(0, 2),
    [2, 345],
  );
});

test('GPT-2 raw files, and a BERT vocab.txt alone, load too', () => {
  const g = loadTokenizer(path.join(SHARED_DATA, 'tokenizers/gpt2'));
  assert.deepEqual(g.encode('Hello world').inputIds, [15496, 995]);
  const dir = tmpDir();
  try {
    fs.symlinkSync(path.join(BERT_BASE, 'vocab.txt'), path.join(dir, 'vocab.txt'));
    const fromTxt = loadTokenizer(dir);
    const fromJson = loadTokenizer(BERT_BASE);
    for (const s of ['Hello, world!', 'Café résumé: unaffable [MASK] 猫', "It's 2023, isn't it?"]) {
      assert.deepEqual(fromTxt.encode(s, 'a pair', { maxLength: 16 }), fromJson.encode(s, 'a pair', { maxLength: 16 }));
    }
    assert.equal(fromTxt.decode(fromTxt.encode("It's 2023").inputIds, true), "it's 2023");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('clear errors: missing path, empty directory, unsupported model type', () => {
  assert.throws(
    () => loadTokenizer('/nonexistent/tok'),
    /\/nonexistent\/tok does not exist; give a checkpoint directory/,
  );
  const dir = tmpDir();
  try {
    assert.throws(
      () => loadTokenizer(dir),
      (e: Error) => e.message.startsWith(`${dir}: no tokenizer files; expected tokenizer.json`),
    );
    const uni = path.join(dir, 'tokenizer.json');
    fs.writeFileSync(uni, JSON.stringify({ model: { type: 'WordLevel', vocab: {} } }));
    assert.throws(
      () => loadTokenizer(dir),
      (e: Error) => e.message.startsWith(`${uni}: model.type "WordLevel" is not supported`),
    );
    fs.writeFileSync(uni, '{"model": ');
    assert.throws(
      () => loadTokenizer(uni),
      (e: Error) => e.message.includes(uni) && /not valid JSON/.test(e.message),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
