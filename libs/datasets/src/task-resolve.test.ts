// Data root order (config -> PRUNELAB_DATA -> ../shared/data -> cache -> download) and the download
// into the cache with its checksum check, all against temp folders and a fake fetch (no network).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { DataNotFoundError } from './data-error.ts';
import { loadTaskSplit } from './load-task.ts';
import { downloadTask, sha256Hex } from './task-download.ts';
import { buildTar, buildZip, fakeFetchByUrl } from './testing/test-helpers.ts';
import type { ChoiceExample, Example } from './types.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-resolve-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const write = (rel: string, content: string) => {
  const file = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
};
const rteDev = (first: string) => `index\tsentence1\tsentence2\tlabel\n0\t${first}\tB.\tentailment\n`;

// A fake repository beside a fake ../shared/data, one config root, one env root, one cache.
fs.mkdirSync(path.join(tmp, 'repo'), { recursive: true });
write('shared/data/glue/RTE/dev.tsv', rteDev('from shared'));
write('config/glue/RTE/dev.tsv', rteDev('from config'));
write('env/glue/RTE/dev.tsv', rteDev('from env'));
write('cache/glue/RTE/dev.tsv', rteDev('from cache'));
const base = { repoRoot: path.join(tmp, 'repo'), cacheDir: path.join(tmp, 'cache'), envDataRoot: '' };
const firstText = async (opts: Parameters<typeof loadTaskSplit>[2]) => {
  const s = await loadTaskSplit('rte', 'dev', opts);
  return [s.source, (s.examples[0] as Example).text];
};

describe('data root order', () => {
  test('config, then PRUNELAB_DATA, then ../shared/data, then the cache', async () => {
    assert.deepEqual(
      await firstText({ ...base, dataRoot: path.join(tmp, 'config'), envDataRoot: path.join(tmp, 'env') }),
      ['config', 'from config'],
    );
    assert.deepEqual(await firstText({ ...base, envDataRoot: path.join(tmp, 'env') }), ['env', 'from env']);
    assert.deepEqual(await firstText(base), ['shared', 'from shared']);
    assert.deepEqual(await firstText({ ...base, repoRoot: path.join(tmp, 'elsewhere', 'repo') }), [
      'cache',
      'from cache',
    ]);
  });

  test('nothing found and download disabled: DataNotFoundError listing where it looked', async () => {
    await assert.rejects(loadTaskSplit('wnli', 'dev', { ...base, allowDownload: false }), (err: Error) => {
      assert.ok(err instanceof DataNotFoundError);
      assert.match(
        err.message,
        /WNLI dev not found: looked for .*shared\/data\/glue\/WNLI\/dev\.tsv .* \(download disabled\)/,
      );
      return true;
    });
  });
});

describe('download into the cache', () => {
  test('CB from its official zip: unpacked in place, hash recorded, reused without fetching again', async () => {
    const cache = path.join(tmp, 'dl-cb');
    const url = 'https://dl.fbaipublicfiles.com/glue/superglue/data/v2/CB.zip';
    const zip = buildZip([
      {
        name: 'CB/train.jsonl',
        data: '{"premise": "P.", "hypothesis": "H.", "label": "neutral", "idx": 0}\n',
        method: 8,
      },
      {
        name: 'CB/val.jsonl',
        data: '{"premise": "It rained.", "hypothesis": "It was wet.", "label": "entailment", "idx": 0}\n',
        method: 8,
      },
      { name: 'CB/test.jsonl', data: '{"premise": "P.", "hypothesis": "H.", "idx": 0}\n', method: 0 },
    ]);
    const calls: string[] = [];
    const opts = {
      repoRoot: path.join(tmp, 'elsewhere', 'repo'),
      cacheDir: cache,
      envDataRoot: '',
      fetchImpl: fakeFetchByUrl({ [url]: zip }, calls),
    };
    const s = await loadTaskSplit('cb', 'dev', opts);
    assert.equal(s.source, 'cache');
    assert.deepEqual(
      (s.examples as Example[]).map((e) => [e.text, e.label]),
      [['It rained.', 0]],
    );
    assert.match(s.warnings[0] as string, new RegExp(`no published SHA-256 pinned .* SHA-256 ${sha256Hex(zip)}`));
    const record = JSON.parse(fs.readFileSync(path.join(cache, 'CB', 'SOURCE.json'), 'utf8'));
    assert.deepEqual(record.files, [{ url, sha256: sha256Hex(zip), bytes: zip.length, pinned: false }]);
    await loadTaskSplit('cb', 'train', opts);
    assert.deepEqual(calls, [url], 'second split comes from the cache');
    assert.deepEqual(
      fs.readdirSync(cache).filter((f) => f.startsWith('.')),
      [],
      'no temp folder left',
    );
  });

  test('a pinned checksum that does not match stops the download and writes nothing', async () => {
    const cache = path.join(tmp, 'dl-cola');
    const url = 'https://dl.fbaipublicfiles.com/glue/data/CoLA.zip';
    const zip = buildZip([{ name: 'CoLA/dev.tsv', data: 'gj04\t1\t\tA tampered file.\n', method: 8 }]);
    await assert.rejects(
      downloadTask('cola', cache, fakeFetchByUrl({ [url]: zip }, [])),
      /CoLA\.zip: SHA-256 [0-9a-f]{64} does not match the published f212fcd8.*nothing was written/,
    );
    assert.equal(fs.existsSync(path.join(cache, 'glue')), false);
  });

  test('network failure names the URL and the way out', async () => {
    await assert.rejects(
      downloadTask('snli', path.join(tmp, 'dl-snli'), fakeFetchByUrl({}, [])),
      /cannot download https:\/\/nlp\.stanford\.edu\/projects\/snli\/snli_1\.0\.zip: getaddrinfo ENOTFOUND .*set PRUNELAB_DATA/,
    );
  });

  test('RACE from its tar.gz: middle + high folders', async () => {
    const cache = path.join(tmp, 'dl-race');
    const q = (article: string, answer: string) =>
      JSON.stringify({ answers: [answer], options: [['w', 'x', 'y', 'z']], questions: ['Which?'], article, id: 'x' });
    const tgz = buildTar([
      { name: 'RACE/dev/middle/1.txt', data: q('Middle article.', 'A') },
      { name: 'RACE/dev/high/1.txt', data: q('High article.', 'D') },
      { name: 'RACE/train/middle/1.txt', data: q('Train article.', 'B') },
    ]);
    const warnings = await downloadTask(
      'race',
      cache,
      fakeFetchByUrl({ 'http://www.cs.cmu.edu/~glai1/data/race/RACE.tar.gz': tgz }, []),
    );
    assert.equal(warnings.length, 1);
    const s = await loadTaskSplit('race', 'dev', { dataRoot: cache, envDataRoot: '' });
    assert.deepEqual(
      (s.examples as ChoiceExample[]).map((e) => [e.context, e.label]),
      [
        ['Middle article.', 0],
        ['High article.', 3],
      ],
    );
  });

  test('MRPC rebuilt from the MSR corpus files and the GLUE dev ids, as GLUE does', async () => {
    const cache = path.join(tmp, 'dl-mrpc');
    const header = 'Quality\t#1 ID\t#2 ID\t#1 String\t#2 String';
    const bodies = {
      'https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_train.txt': Buffer.from(
        `\ufeff${header}\n1\t11\t12\tA " quoted " one .\tA quoted one .\n0\t21\t22\tB .\tC .\n1\t31\t32\tD .\tE .\n`,
      ),
      'https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_test.txt': Buffer.from(
        `${header}\n1\t41\t42\tF .\tG .\n`,
      ),
      'https://dl.fbaipublicfiles.com/glue/data/mrpc_dev_ids.tsv': Buffer.from('21\t22\n'),
    };
    await downloadTask('mrpc', cache, fakeFetchByUrl(bodies, []));
    const load = (split: string) => loadTaskSplit('mrpc', split, { dataRoot: cache, envDataRoot: '' });
    assert.deepEqual(
      ((await load('train')).examples as Example[]).map((e) => [e.text, e.label]),
      [
        ['A " quoted " one .', 1],
        ['D .', 1],
      ],
    );
    assert.deepEqual(
      ((await load('dev')).examples as Example[]).map((e) => [e.text, e.label]),
      [['B .', 0]],
    );
    assert.deepEqual(
      ((await load('test')).examples as Example[]).map((e) => [e.text, e.label]),
      [['F .', -1]],
    );
  });
});
