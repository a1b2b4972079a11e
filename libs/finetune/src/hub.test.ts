// Hub downloads with a fake fetch: a sharded repository lands as a folder loadModel reads; absent files are skipped.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { chooseBackend } from './backend.ts';
import { disposeParams, loadModel } from './checkpoint.ts';
import { hubFile, hubModel } from './hub.ts';
import { readSafetensors, writeSafetensors } from './safetensors.ts';
import { HF_TINY } from './testing/shared-paths.ts';

/** A fake Hub serving `files` (name -> bytes) of repository `repo` at revision main; anything else is a 404. */
function fakeHub(repo: string, files: Map<string, Buffer>, log: string[]): typeof fetch {
  return (async (url: string | URL | Request) => {
    const u = String(url);
    log.push(u);
    const prefix = `https://huggingface.co/${repo}/resolve/main/`;
    const body = u.startsWith(prefix) ? files.get(u.slice(prefix.length)) : undefined;
    return body ? new Response(new Uint8Array(body)) : new Response('not found', { status: 404 });
  }) as typeof fetch;
}

before(async () => {
  await chooseBackend();
});

test('hubModel fetches config, the sharded index and its shards, and the tokenizer files present', async () => {
  const src = join(HF_TINY, 'roberta-qa');
  const staging = mkdtempSync(join(tmpdir(), 'prunelab-hub-src-'));
  const all = readSafetensors(join(src, 'model.safetensors'));
  const names = [...all.keys()];
  const files = new Map<string, Buffer>();
  const weightMap: Record<string, string> = {};
  [names.slice(0, 7), names.slice(7)].forEach((part, i) => {
    const shard = `model-0000${i + 1}-of-00002.safetensors`;
    writeSafetensors(join(staging, shard), new Map(part.map((k) => [k, all.get(k)!])));
    files.set(shard, readFileSync(join(staging, shard)));
    for (const k of part) weightMap[k] = shard;
  });
  files.set('model.safetensors.index.json', Buffer.from(JSON.stringify({ metadata: {}, weight_map: weightMap })));
  for (const f of ['config.json', 'tokenizer.json', 'vocab.json', 'merges.txt'])
    files.set(f, readFileSync(join(src, f)));
  const log: string[] = [];
  const cache = mkdtempSync(join(tmpdir(), 'prunelab-hub-'));
  const dir = await hubModel('org/tiny-roberta', cache, { fetchImpl: fakeHub('org/tiny-roberta', files, log) });
  assert.equal(dir, join(cache, 'org/tiny-roberta'));
  assert.deepEqual(readdirSync(dir).sort(), [
    'config.json',
    'merges.txt',
    'model-00001-of-00002.safetensors',
    'model-00002-of-00002.safetensors',
    'model.safetensors.index.json',
    'tokenizer.json',
    'vocab.json',
  ]);
  const model = loadModel(dir);
  assert.equal(model.head, 'qa');
  assert.equal(model.params.size, names.length);
  disposeParams(model.params);
  // Cached: a second call downloads nothing but re-checks the files the repository lacks.
  const before = log.length;
  await hubModel('org/tiny-roberta', cache, { fetchImpl: fakeHub('org/tiny-roberta', files, log) });
  assert.ok(
    log.slice(before).every((u) => /model\.safetensors$|tokenizer_config|special_tokens|vocab\.txt/.test(u)),
    log.slice(before).join('\n'),
  );
});

test('a repository without safetensors weights, and an unknown file, are clear errors', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'prunelab-hub-'));
  const files = new Map([['config.json', Buffer.from('{"model_type":"opt","vocab_size":10}')]]);
  await assert.rejects(
    hubModel('org/bin-only', cache, { fetchImpl: fakeHub('org/bin-only', files, []) }),
    /org\/bin-only has neither model\.safetensors nor model\.safetensors\.index\.json/,
  );
  await assert.rejects(
    hubFile('org/bin-only', 'nope.json', cache, { fetchImpl: fakeHub('org/bin-only', files, []) }),
    /HTTP 404/,
  );
});
