// Pretraining text: GPT-2's BPE cut to K merges round-trips text through loadTokenizer of the saved folder; the
// readers take the right fields; dedup and the held-out split are stable; dev/test files and missing files fail
// clearly.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadTokenizer, truncatedBpeJson, writeTruncatedBpe } from '@prunelab/tokenizers';
import { buildCorpus, docId, isHeldOut, pretrainStreams, readSource, tokenStream } from './pretrain-corpus.ts';
import { SHARED_DATA } from './testing/test-helpers.ts';

const GPT2 = path.join(SHARED_DATA, 'tokenizers/gpt2');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'pretrain-corpus-'));

test('GPT-2 BPE with its first K merges: compact ids, OPT specials, lossless round trip via loadTokenizer', () => {
  const dir = tmp();
  writeTruncatedBpe(GPT2, 300, dir);
  const tok = loadTokenizer(dir);
  const json = truncatedBpeJson(GPT2, 300) as { model: { vocab: Record<string, number>; merges: string[] } };
  assert.equal(tok.vocabSize, 4 + 256 + 300); // GPT-2's first merges each make a new token
  const ids = Object.values(json.model.vocab).sort((a, b) => a - b);
  assert.deepEqual(
    ids,
    ids.map((_, i) => i),
  );
  assert.deepEqual(
    ['<s>', '<pad>', '</s>', '<unk>'].map((t) => json.model.vocab[t]),
    [0, 1, 2, 3],
  );
  assert.equal(json.model.merges.length, 300);
  const text = 'Bromwell High is a cartoon comedy. Ünïcode — 日本語 & emoji 🎬 stay intact.';
  const enc = tok.encode(text);
  assert.equal(enc.inputIds[0], 2, 'OPT adds </s> as BOS');
  assert.equal(tok.decode(enc.inputIds, true), text);
  // fewer merges, more tokens: the full GPT-2 BPE cuts the same text into fewer pieces
  const fewer = loadTokenizer(GPT2).pieces(text).ids.length;
  assert.ok(tok.pieces(text).ids.length >= fewer);
});

test('readSource: jsonl field, tsv columns by name or index, trec questions without labels', () => {
  const dir = tmp();
  const f = (name: string, body: string) => {
    fs.writeFileSync(path.join(dir, name), body);
    return path.join(dir, name);
  };
  assert.deepEqual(
    readSource({ file: f('train.jsonl', '{"text":"a b","label":1}\n{"text":"c"}\n'), format: 'jsonl', field: 'text' }),
    ['a b', 'c'],
  );
  assert.deepEqual(
    readSource({ file: f('train.tsv', 'x\ts1\ts2\n1\tone\ttwo\n'), format: 'tsv', columns: ['s1', 's2'] }),
    ['one', 'two'],
  );
  assert.deepEqual(
    readSource({ file: f('train2.tsv', 'gj\t1\t\tSome text .\n'), format: 'tsv', header: false, columns: [3] }),
    ['Some text .'],
  );
  assert.deepEqual(readSource({ file: f('train.txt', 'DESC:manner How did it go ?\n'), format: 'trec' }), [
    'How did it go ?',
  ]);
  assert.throws(
    () => readSource({ file: f('dev.tsv', 'x\n'), format: 'tsv', columns: [0] }),
    /must not read dev or test/,
  );
  assert.throws(
    () => readSource({ file: path.join(dir, 'nope.jsonl'), format: 'jsonl' }),
    /nope\.jsonl: pretraining source is missing; fix its path/,
  );
  assert.throws(
    () => readSource({ file: f('train.tsv', 'x\ts1\n1\ta\n'), format: 'tsv', columns: ['s9'] }),
    /train\.tsv:1: no column 's9'/,
  );
});

test('buildCorpus dedups by content and splits by a stable hash; streams end each doc with EOS and are cached', () => {
  const dir = tmp();
  const docs = Array.from({ length: 400 }, (_, i) => `document number ${i % 300}`);
  fs.writeFileSync(path.join(dir, 'train.jsonl'), docs.map((text) => JSON.stringify({ text })).join('\n'));
  const src = [{ file: path.join(dir, 'train.jsonl'), format: 'jsonl' as const }];
  const c = buildCorpus(src, 0.1);
  assert.equal(c.duplicates, 100);
  assert.equal(c.train.length + c.heldOut.length, 300);
  assert.ok(c.heldOut.length > 10 && c.heldOut.length < 60, `held out ${c.heldOut.length}`);
  for (const d of c.heldOut) assert.ok(isHeldOut(docId(d.text), 0.1));
  assert.deepEqual(buildCorpus(src, 0.1).heldOut, c.heldOut);
  const tok = writeTruncatedBpe(GPT2, 100, path.join(dir, 'tok'));
  const stream = tokenStream(c.train.slice(0, 2), tok, 2);
  assert.equal(stream.filter((x) => x === 2).length, 2);
  assert.equal(stream[stream.length - 1], 2);
  assert.equal(tok.decode([...stream.slice(0, stream.indexOf(2))]), c.train[0]!.text);
  const first = pretrainStreams(src, 0.1, tok, 'test-100', 2, path.join(dir, 'cache'));
  const again = pretrainStreams(src, 0.1, tok, 'test-100', 2, path.join(dir, 'cache'));
  assert.equal(first.cached, false);
  assert.equal(again.cached, true);
  assert.deepEqual(again.train, first.train);
  assert.deepEqual(again.heldOut, first.heldOut);
});
