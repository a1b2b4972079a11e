// Tracker writing MLflow's file store layout (`mlruns/`), readable by `mlflow ui` and by
// `mlflow server --backend-store-uri file:...` without any conversion.
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { FileRun } from './file-run.ts';
import { newExperimentId, newRunId } from './ids.ts';
import {
  DEFAULT_EXPERIMENT_ID,
  DEFAULT_EXPERIMENT_NAME,
  META_FILE,
  STATUS_CODE,
  TRASH_DIR,
  experimentMeta,
  fileUri,
  localArtifactPath,
  readMetaYaml,
  runMeta,
  writeMetaYaml,
} from './meta-yaml.ts';
import { findExperimentByName, listExperiments, listRuns, readRun } from './read-store.ts';
import { currentUser, runTags } from './system-tags.ts';
import type { CreateRunOptions, ResumedRun, Tracker } from './tracker.ts';
import { validateTag } from './validate.ts';

export class FileStore implements Tracker {
  /** Absolute path of the `mlruns/` folder. */
  readonly root: string;
  private init?: Promise<void>;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async getOrCreateExperiment(name: string): Promise<string> {
    if (typeof name !== 'string' || name === '')
      throw new Error('getOrCreateExperiment: the experiment name must be a non-empty string');
    await this.ready();
    const found = findExperimentByName(this.root, name);
    if (found !== undefined) return found;
    // MLflow keeps names unique across deleted experiments too.
    const deleted = listExperiments(this.root, { deleted: true }).find((e) => e.name === name);
    if (deleted) {
      throw new Error(
        `experiment '${name}' exists in deleted state (${path.join(this.root, TRASH_DIR, deleted.id)}); ` +
          `restore it in MLflow, or remove that folder from .trash to reuse the name`,
      );
    }
    for (let attempt = 0; attempt < 10; attempt++) {
      const id = newExperimentId();
      if (existsSync(path.join(this.root, TRASH_DIR, id))) continue;
      const dir = path.join(this.root, id);
      // A non-recursive mkdir is the atomic claim on the id: EEXIST means someone else has it.
      if (!(await mkdirNew(dir))) continue;
      await writeMetaYaml(
        dir,
        experimentMeta({ experimentId: id, name, artifactLocation: fileUri(dir), time: Date.now() }),
      );
      return id;
    }
    throw new Error(`could not find a free experiment id in ${this.root} after 10 attempts`);
  }

  async createRun(experimentId: string, opts: CreateRunOptions): Promise<FileRun> {
    await this.ready();
    const expDir = this.experimentDir(experimentId);
    const expMetaFile = path.join(expDir, META_FILE);
    if (!existsSync(expMetaFile)) {
      throw new Error(
        `createRun: no experiment '${experimentId}' in ${this.root} (${expMetaFile} does not exist); get an id from ` +
          `getOrCreateExperiment(name)`,
      );
    }
    const expMeta = readMetaYaml(expMetaFile);
    if (expMeta.lifecycle_stage !== 'active') {
      throw new Error(
        `createRun: experiment '${experimentId}' is ${String(expMeta.lifecycle_stage)} (${expMetaFile}); restore it ` +
          `or use another experiment`,
      );
    }
    const tags = runTags(opts);
    for (const [key, value] of Object.entries(tags)) validateTag(key, value); // fail before creating the folder
    const startTime = opts.startTime ?? Date.now();
    if (!Number.isSafeInteger(startTime))
      throw new Error(`createRun: startTime must be integer epoch milliseconds, got ${startTime}`);

    const runId = newRunId();
    const runDir = path.join(expDir, runId);
    const location = String(expMeta.artifact_location ?? fileUri(expDir)).replace(/\/+$/, '');
    const artifactUri = `${location}/${runId}/artifacts`;
    const artifactDir = localArtifactPath(artifactUri);
    if (!(await mkdirNew(runDir))) throw new Error(`createRun: run folder ${runDir} already exists`);
    await writeMetaYaml(
      runDir,
      runMeta({ runId, experimentId, runName: opts.runName, artifactUri, startTime, userId: currentUser() }),
    );
    for (const sub of ['metrics', 'params', 'tags', 'artifacts']) await fs.mkdir(path.join(runDir, sub));
    if (artifactDir !== undefined) await fs.mkdir(artifactDir, { recursive: true });
    const run = new FileRun(runDir, runId, experimentId, artifactDir);
    await run.setTags(tags);
    return run;
  }

  async resumeRun(experimentId: string, key: string, value: string): Promise<ResumedRun | undefined> {
    await this.ready();
    const expDir = this.experimentDir(experimentId);
    if (!existsSync(path.join(expDir, META_FILE))) return undefined;
    // latest start first; only a tag file read per run until the match
    for (const runId of listRuns(this.root, experimentId).reverse()) {
      const tagFile = path.join(expDir, runId, 'tags', ...key.split('/'));
      if (!existsSync(tagFile) || (await fs.readFile(tagFile, 'utf8')) !== value) continue;
      const runDir = path.join(expDir, runId);
      const meta = readMetaYaml(path.join(runDir, META_FILE));
      if (meta.lifecycle_stage !== 'active') continue;
      meta.status = STATUS_CODE.RUNNING;
      meta.end_time = null;
      await writeMetaYaml(runDir, meta);
      const artifactDir = localArtifactPath(String(meta.artifact_uri ?? ''));
      return {
        run: new FileRun(runDir, runId, experimentId, artifactDir),
        params: readRun(this.root, experimentId, runId).params,
      };
    }
    return undefined;
  }

  /** First use: the Default experiment `0` and `.trash/`, as MLflow's FileStore creates them. */
  private ready(): Promise<void> {
    this.init ??= (async () => {
      await fs.mkdir(this.root, { recursive: true });
      const defaultDir = path.join(this.root, DEFAULT_EXPERIMENT_ID);
      // Not when the Default experiment was deleted (it sits in .trash/0): recreating it would block its restore.
      const hasDefault =
        existsSync(path.join(defaultDir, META_FILE)) ||
        existsSync(path.join(this.root, TRASH_DIR, DEFAULT_EXPERIMENT_ID));
      if (!hasDefault) {
        await fs.mkdir(defaultDir, { recursive: true });
        const meta = experimentMeta({
          experimentId: DEFAULT_EXPERIMENT_ID,
          name: DEFAULT_EXPERIMENT_NAME,
          artifactLocation: fileUri(defaultDir),
          time: Date.now(),
        });
        await writeMetaYaml(defaultDir, meta);
      }
      await fs.mkdir(path.join(this.root, TRASH_DIR), { recursive: true });
    })().catch((err: unknown) => {
      this.init = undefined; // let the next call retry (e.g. after a permissions fix)
      throw err;
    });
    return this.init;
  }

  private experimentDir(experimentId: string): string {
    if (typeof experimentId !== 'string' || !/^[\w-]+$/.test(experimentId)) {
      throw new Error(
        `invalid experiment id '${String(experimentId)}': expected a folder name of ${this.root} such as '0'`,
      );
    }
    return path.join(this.root, experimentId);
  }
}

/** mkdir that reports whether this call created the folder. */
async function mkdirNew(dir: string): Promise<boolean> {
  try {
    await fs.mkdir(dir);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}
