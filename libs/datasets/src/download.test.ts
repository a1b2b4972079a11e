import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { downloadSst2, SST2_URL } from './download.ts';
import { loadSst2 } from './sst2.ts';
import { buildZip, fakeFetch, fakeSst2Zip } from './test-helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-dl-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('downloads and unzips into <cache>/glue/SST-2, then serves from the cache without network', async () => {
  const cache = path.join(tmp, 'cache');
  const calls: string[] = [];
  const glue = await downloadSst2(cache, fakeFetch(fakeSst2Zip(), calls));
  assert.equal(glue, path.join(cache, 'glue'));
  assert.deepEqual(calls, [SST2_URL]);
  assert.deepEqual(fs.readdirSync(glue), ['SST-2']); // no temp dir left behind
  assert.deepEqual(fs.readdirSync(path.join(glue, 'SST-2')).sort(), ['dev.tsv', 'original', 'train.tsv']);
  assert.equal(loadSst2(glue, 'train').length, 3);

  const again = await downloadSst2(cache, fakeFetch(null, calls));
  assert.equal(again, glue);
  assert.equal(calls.length, 1);
});

test('a failed download or a zip without SST-2 leaves no partial cache', async () => {
  const cache = path.join(tmp, 'cache-fail');
  await assert.rejects(downloadSst2(cache, fakeFetch(null, [])), /cannot download .*SST-2\.zip: getaddrinfo ENOTFOUND/);
  const wrong = buildZip([{ name: 'CoLA/train.tsv', data: 'x', method: 0 }]);
  await assert.rejects(downloadSst2(cache, fakeFetch(wrong, [])), /does not contain SST-2\/train\.tsv and SST-2\/dev\.tsv/);
  assert.deepEqual(fs.readdirSync(path.join(cache, 'glue')), []);
  const http404 = (async () => new Response('gone', { status: 404, statusText: 'Not Found' })) as typeof fetch;
  await assert.rejects(downloadSst2(cache, http404), /HTTP 404 Not Found/);
});

test('zip entries that would escape the cache folder are refused', async () => {
  const cache = path.join(tmp, 'cache-evil');
  const evil = buildZip([{ name: 'SST-2/../../evil.txt', data: 'x', method: 0 }]);
  await assert.rejects(downloadSst2(cache, fakeFetch(evil, [])), /unsafe path/);
  assert.equal(fs.existsSync(path.join(tmp, 'evil.txt')), false);
});
