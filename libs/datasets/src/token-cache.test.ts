// The tokenised-dataset cache: built once, reused, keyed by tokenizer and length, written atomically.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { encodeExamples } from './encode-examples.ts';
import { TestTokenizer } from './test-tokenizer.ts';
import { cacheFile, cachedEncoding, idsDigest, readCacheEntry, tokenizerFingerprint, type CacheKey } from './token-cache.ts';
import type { Example } from './types.ts';
import { SHARED_DATA } from './test-helpers.ts';
import { WordPieceTokenizer } from './wordpiece.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-cache-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const tok = new TestTokenizer();
const examples: Example[] = [
  { id: 'a', text: 'a gem of a film', label: 1 },
  { id: 'b', text: 'dull', textB: 'and long', label: 0 },
];

test('built once, then read back identical without calling the builder', () => {
  const key: CacheKey = { task: 'sst2', split: 'dev', tokenizer: tokenizerFingerprint(tok), maxLength: 8, data: idsDigest(examples.map((e) => e.id)) };
  let builds = 0;
  const build = () => {
    builds++;
    const enc = encodeExamples(tok, examples, 8);
    return { arrays: { inputIds: enc.inputIds, attentionMask: enc.attentionMask, labels: enc.labels, w: new Float32Array([0.5, -1.25]) }, meta: { ids: enc.ids } };
  };
  const first = cachedEncoding(dir, key, build);
  const second = cachedEncoding(dir, key, build);
  assert.equal(builds, 1);
  assert.deepEqual([first.hit, second.hit], [false, true]);
  assert.deepEqual(Array.from(second.arrays['inputIds'] as Int32Array), Array.from(first.arrays['inputIds'] as Int32Array));
  assert.ok(second.arrays['w'] instanceof Float32Array);
  assert.deepEqual(Array.from(second.arrays['w'] as Float32Array), [0.5, -1.25]);
  assert.deepEqual(second.meta, { ids: ['a', 'b'] });
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.tmp')), [], 'no temp file left');

  // A different length, tokenizer or data is a different entry; a truncated file is rebuilt.
  assert.notEqual(cacheFile(dir, { ...key, maxLength: 16 }), cacheFile(dir, key));
  assert.notEqual(cacheFile(dir, { ...key, data: idsDigest(['a']) }), cacheFile(dir, key));
  assert.equal(readCacheEntry(first.file, { ...key, options: { stride: 128 } }), undefined);
  fs.writeFileSync(first.file, fs.readFileSync(first.file).subarray(0, 40));
  assert.equal(cachedEncoding(dir, key, build).hit, false);
  assert.equal(builds, 2);
});

test('tokenizer fingerprints: stable for one tokenizer, different across tokenizers', () => {
  const wp = WordPieceTokenizer.fromFile(path.join(SHARED_DATA, 'tokenizers', 'bert-base-uncased', 'tokenizer.json'));
  assert.equal(tokenizerFingerprint(tok), tokenizerFingerprint(new TestTokenizer()));
  assert.notEqual(tokenizerFingerprint(wp), tokenizerFingerprint(tok));
  assert.notEqual(tokenizerFingerprint(wp, 'vocab-a'), tokenizerFingerprint(wp, 'vocab-b'));
});
