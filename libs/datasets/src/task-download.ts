// Downloads a task from its official source into a cache folder laid out like a data root. Every file
// is checked against its published SHA-256 where one is pinned here; otherwise the hash is recorded in
// SOURCE.json and reported so it can be pinned. Files are unpacked into a temp folder that is renamed
// into place, so an interrupted download never leaves a half-written copy that would load as partial.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readTar } from './tar.ts';
import type { TaskName } from './tasks.ts';
import { readZip } from './zip.ts';

export interface SourceFile {
  url: string;
  /** Published SHA-256 of the downloaded bytes, when known. */
  sha256?: string;
}

interface DownloadPlan {
  sources: SourceFile[];
  /** Writes the task's files under `tmp` (same relative layout as a data root); returns the top-level dirs written. */
  place(fetched: Buffer[], tmp: string): string[];
}

const GLUE = 'https://dl.fbaipublicfiles.com/glue/data';

/** Writes `entries` whose name starts with `prefix` under tmp/target (prefix stripped), refusing unsafe paths. */
function extract(
  entries: Map<string, Buffer>,
  prefix: string,
  tmp: string,
  target: string,
  keep: (rel: string) => boolean = () => true,
): void {
  const base = path.join(tmp, target);
  let n = 0;
  for (const [name, data] of entries) {
    if (!name.startsWith(prefix)) continue;
    const rel = name.slice(prefix.length);
    if (rel === '' || !keep(rel)) continue;
    const dest = path.resolve(base, rel);
    if (!dest.startsWith(base + path.sep)) throw new Error(`refusing archive entry with unsafe path ${name}`);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, data);
    n++;
  }
  if (n === 0)
    throw new Error(
      `the archive has no entries under ${prefix} (first entries: ${[...entries.keys()].slice(0, 5).join(', ')})`,
    );
}

function glueZip(file: string, sha256: string, inner: string, dir: string): DownloadPlan {
  return {
    sources: [{ url: `${GLUE}/${file}`, sha256 }],
    place: ([zip], tmp) => {
      extract(readZip(zip as Buffer, file), `${inner}/`, tmp, `glue/${dir}`);
      return [`glue/${dir}`];
    },
  };
}

/** MRPC is not in a GLUE zip: GLUE's own script splits the MSR corpus train file with a list of dev ids. */
function mrpcPlan(): DownloadPlan {
  return {
    sources: [
      { url: 'https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_train.txt' },
      { url: 'https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_test.txt' },
      { url: `${GLUE}/mrpc_dev_ids.tsv` },
    ],
    place: ([trainBuf, testBuf, idsBuf], tmp) => {
      const lines = (b: Buffer | undefined) =>
        (b as Buffer)
          .toString('utf8')
          .replace(/^\ufeff/, '')
          .split(/\r?\n/)
          .filter((l) => l.trim() !== '');
      const devIds = new Set(lines(idsBuf).map((l) => l.trim().split('\t').join('\t')));
      const [header, ...train] = lines(trainBuf);
      const dir = path.join(tmp, 'glue', 'MRPC');
      fs.mkdirSync(dir, { recursive: true });
      const isDev = (l: string) => devIds.has(l.split('\t').slice(1, 3).join('\t'));
      fs.writeFileSync(path.join(dir, 'train.tsv'), [header, ...train.filter((l) => !isDev(l))].join('\n') + '\n');
      fs.writeFileSync(path.join(dir, 'dev.tsv'), [header, ...train.filter(isDev)].join('\n') + '\n');
      const [, ...test] = lines(testBuf);
      fs.writeFileSync(
        path.join(dir, 'test.tsv'),
        [
          'index\t#1 ID\t#2 ID\t#1 String\t#2 String',
          ...test.map((l, i) => [i, ...l.split('\t').slice(1)].join('\t')),
        ].join('\n') + '\n',
      );
      return ['glue/MRPC'];
    },
  };
}

/** SentEval's archive of MR, CR, SUBJ and MPQA: files are found by name wherever they sit in it. */
function sentEvalPlan(dir: string, names: string[]): DownloadPlan {
  return {
    sources: [{ url: 'https://dl.fbaipublicfiles.com/senteval/senteval_data/datasmall_NB_ACL12.zip' }],
    place: ([zip], tmp) => {
      const entries = readZip(zip as Buffer, 'datasmall_NB_ACL12.zip');
      const out = path.join(tmp, 'SentEval', dir);
      fs.mkdirSync(out, { recursive: true });
      for (const n of names) {
        const hit = [...entries.entries()].find(([k]) => path.posix.basename(k) === n);
        if (!hit) throw new Error(`datasmall_NB_ACL12.zip has no ${n}`);
        fs.writeFileSync(path.join(out, n), hit[1]);
      }
      return [`SentEval/${dir}`];
    },
  };
}

/** aclImdb v1 as jsonl {id, rating, label, text}: one file per review, named <id>_<rating>.txt. */
function imdbPlan(): DownloadPlan {
  return {
    sources: [{ url: 'https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz' }],
    place: ([tgz], tmp) => {
      const entries = readTar(tgz as Buffer, 'aclImdb_v1.tar.gz');
      const out = path.join(tmp, 'other', 'imdb');
      fs.mkdirSync(out, { recursive: true });
      for (const split of ['train', 'test']) {
        const lines: string[] = [];
        for (const [label, pol] of [
          [0, 'neg'],
          [1, 'pos'],
        ] as const) {
          const prefix = `aclImdb/${split}/${pol}/`;
          const names = [...entries.keys()].filter((k) => k.startsWith(prefix) && k.endsWith('.txt'));
          names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
          for (const k of names) {
            const m = /(\d+)_(\d+)\.txt$/.exec(k);
            lines.push(
              JSON.stringify({
                id: Number(m?.[1]),
                rating: Number(m?.[2]),
                label,
                text: (entries.get(k) as Buffer).toString('utf8'),
              }),
            );
          }
        }
        fs.writeFileSync(path.join(out, `${split}.jsonl`), lines.join('\n') + '\n');
      }
      return ['other/imdb'];
    },
  };
}

function plainFiles(target: string, files: { url: string; name: string; sha256?: string }[]): DownloadPlan {
  return {
    sources: files.map((f) => (f.sha256 ? { url: f.url, sha256: f.sha256 } : { url: f.url })),
    place: (bufs, tmp) => {
      const dir = path.join(tmp, target);
      fs.mkdirSync(dir, { recursive: true });
      files.forEach((f, i) => fs.writeFileSync(path.join(dir, f.name), bufs[i] as Buffer));
      return [target];
    },
  };
}

// SHA-256 of the GLUE zips and SQuAD files as published (they are also pinned by other projects'
// download scripts, e.g. Transformers.jl's GLUE DataDeps and ParlAI's SQuAD2 build).
const PLANS: Partial<Record<TaskName, () => DownloadPlan>> = {
  cola: () => glueZip('CoLA.zip', 'f212fcd832b8f7b435fb991f101abf89f96b933ab400603bf198960dfc32cbff', 'CoLA', 'CoLA'),
  sst2: () =>
    glueZip('SST-2.zip', 'd67e16fb55739c1b32cdce9877596db1c127dc322d93c082281f64057c16deaa', 'SST-2', 'SST-2'),
  qqp: () => glueZip('QQP-clean.zip', '40e7c862c04eb26ee04b67fd900e76c45c6ba8e6d8fab4f8f1f8072a1a3fbae0', 'QQP', 'QQP'),
  stsb: () =>
    glueZip('STS-B.zip', 'e60a6393de5a8b5b9bac5020a1554b54e3691f9d600b775bd131e613ac179c85', 'STS-B', 'STS-B'),
  mnli: () => glueZip('MNLI.zip', 'e7c1d896d26ed6caf700110645df426cc2d8ebf02a5ab743d5a5c68ac1c83633', 'MNLI', 'MNLI'),
  qnli: () => glueZip('QNLIv2.zip', 'e634e78627a29adaecd4f955359b22bf5e70f2cbd93b493f2d624138a0c0e5f5', 'QNLI', 'QNLI'),
  rte: () => glueZip('RTE.zip', '6bf86de103ecd335f3441bd43574d23fef87ecc695977a63b82d5efb206556ee', 'RTE', 'RTE'),
  wnli: () => glueZip('WNLI.zip', 'ae0e8e4d16f4d46d4a0a566ec7ecceccfd3fbfaa4a7a4b4e02848c0f2561ac46', 'WNLI', 'WNLI'),
  mrpc: mrpcPlan,
  snli: () => ({
    sources: [{ url: 'https://nlp.stanford.edu/projects/snli/snli_1.0.zip' }],
    place: ([zip], tmp) => {
      extract(readZip(zip as Buffer, 'snli_1.0.zip'), 'snli_1.0/', tmp, 'snli_1.0', (rel) => rel.endsWith('.jsonl'));
      return ['snli_1.0'];
    },
  }),
  squad_v2: () =>
    plainFiles('squad_v2', [
      {
        url: 'https://rajpurkar.github.io/SQuAD-explorer/dataset/train-v2.0.json',
        name: 'train-v2.0.json',
        sha256: '68dcfbb971bd3e96d5b46c7177b16c1a4e7d4bdef19fb204502738552dede002',
      },
      {
        url: 'https://rajpurkar.github.io/SQuAD-explorer/dataset/dev-v2.0.json',
        name: 'dev-v2.0.json',
        sha256: '80a5225e94905956a6446d296ca1093975c4d3b3260f1d6c8f68bc2ab77182d8',
      },
    ]),
  race: () => ({
    sources: [{ url: 'http://www.cs.cmu.edu/~glai1/data/race/RACE.tar.gz' }],
    place: ([tgz], tmp) => {
      extract(readTar(tgz as Buffer, 'RACE.tar.gz'), 'RACE/', tmp, 'RACE');
      return ['RACE'];
    },
  }),
  cb: () => ({
    sources: [{ url: 'https://dl.fbaipublicfiles.com/glue/superglue/data/v2/CB.zip' }],
    place: ([zip], tmp) => {
      extract(readZip(zip as Buffer, 'CB.zip'), 'CB/', tmp, 'CB');
      return ['CB'];
    },
  }),
  trec: () =>
    plainFiles('trec', [
      { url: 'https://cogcomp.seas.upenn.edu/Data/QA/QC/train_5500.label', name: 'train_5500.label' },
      { url: 'https://cogcomp.seas.upenn.edu/Data/QA/QC/TREC_10.label', name: 'TREC_10.label' },
    ]),
  ag_news: () =>
    plainFiles('ag_news_csv', [
      {
        url: 'https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/train.csv',
        name: 'train.csv',
      },
      {
        url: 'https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/test.csv',
        name: 'test.csv',
      },
    ]),
  mr: () => sentEvalPlan('MR', ['rt-polarity.neg', 'rt-polarity.pos']),
  cr: () => sentEvalPlan('CR', ['custrev.neg', 'custrev.pos']),
  subj: () => sentEvalPlan('SUBJ', ['subj.objective', 'subj.subjective']),
  mpqa: () => sentEvalPlan('MPQA', ['mpqa.neg', 'mpqa.pos']),
  imdb: imdbPlan,
};

export function hasDownload(task: TaskName): boolean {
  return PLANS[task] !== undefined;
}

/** The official sources of a task (for reports and docs). */
export function taskSources(task: TaskName): SourceFile[] {
  return PLANS[task]?.().sources ?? [];
}

export function sha256Hex(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/**
 * Downloads `task` into `cacheDir` (same layout as a data root). Returns warnings (unpinned hashes).
 * Throws on network errors and on a checksum mismatch, leaving the cache as it was.
 */
export async function downloadTask(
  task: TaskName,
  cacheDir: string,
  fetchImpl: typeof fetch = fetch,
): Promise<string[]> {
  const plan = PLANS[task]?.();
  if (!plan)
    throw new Error(
      `no download source is known for task ${task}: put its files under a data root and set PRUNELAB_DATA`,
    );
  const warnings: string[] = [];
  const fetched: Buffer[] = [];
  const record: { url: string; sha256: string; bytes: number; pinned: boolean }[] = [];
  for (const src of plan.sources) {
    let res: Response;
    try {
      res = await fetchImpl(src.url);
    } catch (err) {
      throw new Error(
        `cannot download ${src.url}: ${(err as Error).message}; put the ${task} files under a data root and set ` +
          `PRUNELAB_DATA`,
      );
    }
    if (!res.ok) throw new Error(`cannot download ${src.url}: HTTP ${res.status} ${res.statusText}`);
    const buf = Buffer.from(await res.arrayBuffer());
    const hash = sha256Hex(buf);
    if (src.sha256 && hash !== src.sha256) {
      throw new Error(
        `${src.url}: SHA-256 ${hash} does not match the published ${src.sha256} (${buf.length} bytes): the download ` +
          `is corrupt or the file changed; nothing was written`,
      );
    }
    if (!src.sha256)
      warnings.push(
        `${src.url}: no published SHA-256 pinned for it; downloaded ${buf.length} bytes with SHA-256 ${hash} ` +
          `(recorded in SOURCE.json)`,
      );
    record.push({ url: src.url, sha256: hash, bytes: buf.length, pinned: src.sha256 !== undefined });
    fetched.push(buf);
  }
  const root = path.resolve(cacheDir);
  fs.mkdirSync(root, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(root, `.download-${task}-`));
  try {
    const dirs = plan.place(fetched, tmp);
    for (const dir of dirs) {
      fs.writeFileSync(
        path.join(tmp, dir, 'SOURCE.json'),
        JSON.stringify({ task, downloaded: new Date().toISOString(), files: record }, null, 2) + '\n',
      );
      const dest = path.join(root, dir);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.rmSync(dest, { recursive: true, force: true });
      fs.renameSync(path.join(tmp, dir), dest);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return warnings;
}
