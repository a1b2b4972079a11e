// One run of the file store: every call appends to or writes files under `mlruns/<exp>/<run_id>/`.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';
import { META_FILE, STATUS_CODE, readMetaYaml, writeMetaYaml } from './meta-yaml.ts';
import { pythonFloatRepr } from './python-float.ts';
import type { DatasetInput, ParamValue, RunHandle, RunStatus } from './tracker.ts';
import {
  paramString,
  validateArtifactPath,
  validateDatasets,
  validateKey,
  validateMetric,
  validateParam,
  validateTag,
  type KeyKind,
} from './validate.ts';

const FOLDER: Record<KeyKind, string> = { metric: 'metrics', param: 'params', tag: 'tags' };

export class FileRun implements RunHandle {
  readonly runId: string;
  readonly experimentId: string;
  readonly artifactDir?: string;
  /** `mlruns/<exp>/<run_id>`. */
  readonly dir: string;
  // Calls run one after another, so points land in call order even when callers do not await.
  private chain: Promise<unknown> = Promise.resolve();
  // Key files already known not to collide with a folder: skips the stat calls on every metric point.
  private readonly checked = new Set<string>();

  constructor(dir: string, runId: string, experimentId: string, artifactDir?: string) {
    this.dir = dir;
    this.runId = runId;
    this.experimentId = experimentId;
    if (artifactDir !== undefined) this.artifactDir = artifactDir;
  }

  logParams(params: Record<string, ParamValue>): Promise<void> {
    return this.serial(async () => {
      const entries = Object.entries(params).map(([key, v]) => {
        validateKey('param', key);
        const value = paramString(key, v);
        validateParam(key, value);
        return [key, value] as const;
      });
      assertNoClash(
        'param',
        entries.map(([k]) => k),
      );
      // Check every key against what is on disk before writing any, so a rejected batch writes nothing.
      const files: string[] = [];
      for (const [key, value] of entries) {
        const file = await this.keyFile('param', key);
        const old = await readIfExists(file);
        if (old !== undefined && old !== value) {
          throw new Error(
            `param '${key}' of run ${this.runId} was already logged with value '${old}' (${file}); ` +
              `params are write-once, so it cannot change to '${value}': log it under another key or start a new run`,
          );
        }
        files.push(file);
      }
      for (const [i, [, value]] of entries.entries()) await writeFileAtomic(files[i] as string, value, this.dir);
    });
  }

  logMetric(key: string, value: number, step = 0, timestamp = Date.now()): Promise<void> {
    return this.serial(async () => {
      validateMetric(key, value, step, timestamp);
      await this.appendPoint(key, value, step, timestamp);
    });
  }

  logMetrics(metrics: Record<string, number>, step = 0): Promise<void> {
    return this.serial(async () => {
      const timestamp = Date.now();
      const entries = Object.entries(metrics);
      for (const [key, value] of entries) validateMetric(key, value, step, timestamp);
      assertNoClash(
        'metric',
        entries.map(([k]) => k),
      );
      for (const [key] of entries) await this.keyFile('metric', key);
      for (const [key, value] of entries) await this.appendPoint(key, value, step, timestamp);
    });
  }

  setTags(tags: Record<string, string>): Promise<void> {
    return this.serial(async () => {
      const entries = Object.entries(tags);
      for (const [key, value] of entries) validateTag(key, value);
      assertNoClash(
        'tag',
        entries.map(([k]) => k),
      );
      const files: string[] = [];
      for (const [key] of entries) files.push(await this.keyFile('tag', key));
      for (const [i, [, value]] of entries.entries()) await writeFileAtomic(files[i] as string, value, this.dir);
    });
  }

  logArtifact(localPath: string, artifactPath?: string): Promise<void> {
    return this.serial(async () => {
      if (this.artifactDir === undefined) {
        throw new Error(
          `run ${this.runId} has a non-local artifact_uri (see ${path.join(this.dir, META_FILE)}); the file store ` +
            `can only copy artifacts to local folders`,
        );
      }
      if (artifactPath !== undefined) validateArtifactPath(artifactPath);
      const src = path.resolve(localPath);
      const stat = await fs.stat(src).catch(() => undefined);
      if (!stat) throw new Error(`logArtifact: ${src} does not exist; pass an existing file or folder`);
      const destDir =
        artifactPath === undefined ? this.artifactDir : path.join(this.artifactDir, ...artifactPath.split('/'));
      const dest = path.join(destDir, path.basename(src));
      await fs.mkdir(destDir, { recursive: true });
      if (stat.isDirectory()) await replaceFolder(src, dest);
      else await fs.copyFile(src, dest);
    });
  }

  /**
   * As MLflow's FileStore.log_inputs (2.4 and later): the dataset once per experiment under
   * `<exp>/datasets/<md5(name + digest)>/meta.yaml`, the link under `<run>/inputs/<md5(dataset id + run id)>/meta.yaml`.
   * MLflow writes the dataset id as `destination_id` too (its readers ignore that field); we write the same bytes.
   */
  logInputs(datasets: DatasetInput[]): Promise<void> {
    return this.serial(async () => {
      validateDatasets(datasets);
      const expDir = path.dirname(this.dir);
      for (const { dataset, tags } of datasets) {
        const datasetId = md5(dataset.name, dataset.digest);
        const datasetDir = path.join(expDir, 'datasets', datasetId);
        if (!existsSync(path.join(datasetDir, META_FILE))) {
          await fs.mkdir(datasetDir, { recursive: true });
          const { name, digest, source_type, source, schema, profile } = dataset;
          await writeMetaYaml(datasetDir, {
            name,
            digest,
            source_type,
            source,
            schema: schema ?? null,
            profile: profile ?? null,
          });
        }
        const inputDir = path.join(this.dir, 'inputs', md5(datasetId, this.runId));
        if (existsSync(path.join(inputDir, META_FILE))) continue;
        await fs.mkdir(inputDir, { recursive: true });
        await writeMetaYaml(inputDir, {
          source_type: 'DATASET',
          source_id: datasetId,
          destination_type: 'RUN',
          destination_id: datasetId,
          tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
        });
      }
    });
  }

  end(status: RunStatus = 'FINISHED'): Promise<void> {
    return this.serial(async () => {
      if (status !== 'FINISHED' && status !== 'FAILED' && status !== 'KILLED') {
        throw new Error(`end: unknown status '${String(status)}'; use 'FINISHED', 'FAILED' or 'KILLED'`);
      }
      // Re-read so edits made meanwhile (e.g. a rename in the MLflow UI) survive.
      const meta = readMetaYaml(path.join(this.dir, META_FILE));
      meta.status = STATUS_CODE[status];
      meta.end_time = Date.now();
      await writeMetaYaml(this.dir, meta);
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.chain.then(fn);
    this.chain = result.catch(() => undefined); // one failed call must not block the next
    return result;
  }

  private async appendPoint(key: string, value: number, step: number, timestamp: number): Promise<void> {
    const file = await this.keyFile('metric', key);
    await fs.appendFile(file, `${timestamp} ${pythonFloatRepr(value)} ${step}\n`);
    this.checked.add(file); // the file exists now, so no folder can take its place through this handle
  }

  /**
   * Path of a key's file, with its parent folders created. A '/' in a key is a sub-folder, so
   * `a` and `a/b` cannot both exist: MLflow fails on that with an OS error, we name both keys.
   */
  private async keyFile(kind: KeyKind, key: string): Promise<string> {
    const base = path.join(this.dir, FOLDER[kind]);
    const segs = key.split('/');
    const file = path.join(base, ...segs);
    if (this.checked.has(file)) return file;
    let dir = base;
    for (let i = 0; i < segs.length - 1; i++) {
      dir = path.join(dir, segs[i] as string);
      const st = await fs.stat(dir).catch(() => undefined);
      if (st && !st.isDirectory()) {
        const other = segs.slice(0, i + 1).join('/');
        throw new Error(
          `${kind} key '${key}' collides with ${kind} '${other}' already in run ${this.runId} (${dir} is a file): ` +
            `a '/' in a key makes a sub-folder, so '${other}' and '${key}' cannot both exist in one run; rename one ` +
            `of them`,
        );
      }
    }
    const st = await fs.stat(file).catch(() => undefined);
    if (st?.isDirectory()) {
      throw new Error(
        `${kind} key '${key}' collides with ${kind}s '${key}/...' already in run ${this.runId} (${file} is a ` +
          `folder): ` +
          `a '/' in a key makes a sub-folder, so '${key}' cannot also be a key; rename one of them`,
      );
    }
    await fs.mkdir(path.dirname(file), { recursive: true });
    return file;
  }
}

const md5 = (a: string, b: string) => createHash('md5').update(a, 'utf8').update(b, 'utf8').digest('hex');

/** Keys of one batch that would need `a` as both a file and a folder. */
function assertNoClash(kind: KeyKind, keys: string[]): void {
  const all = new Set(keys);
  for (const key of keys) {
    const segs = key.split('/');
    for (let i = 1; i < segs.length; i++) {
      const prefix = segs.slice(0, i).join('/');
      if (all.has(prefix)) {
        throw new Error(
          `${kind} keys '${prefix}' and '${key}' cannot both exist in one run: a '/' in a key makes a sub-folder; ` +
            `rename one of them`,
        );
      }
    }
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * dest becomes a copy of the folder src. Another process may log the same folder into the same run at once (two
 * coordinators of one grid share its parent run), and fs.cp into one destination from two processes fails on the
 * folders it creates; so the copy is made aside and swapped in, and when the other one got there first, its copy
 * (of the same files) stays.
 */
async function replaceFolder(src: string, dest: string): Promise<void> {
  const tag = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const tmp = `${dest}.tmp-${tag}`;
  const old = `${dest}.old-${tag}`;
  const code = (e: unknown) => (e as NodeJS.ErrnoException).code;
  await fs.cp(src, tmp, { recursive: true });
  // renames are atomic: the earlier copy moves out of the way whole, or is already gone (ENOENT)
  await fs.rename(dest, old).catch((e) => {
    if (code(e) !== 'ENOENT') throw e;
  });
  try {
    await fs.rename(tmp, dest);
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    if (code(e) !== 'EEXIST' && code(e) !== 'ENOTEMPTY') throw e;
  }
  await fs.rm(old, { recursive: true, force: true });
}
