// Tracker on an MLflow tracking server (MLFLOW_TRACKING_URI=http://...), same interface as the
// file store. If the server cannot be reached the run goes on: its calls are appended to a local
// journal (journal.ts, one folder per worker) and replayed, by the run itself once the server answers again, or later by
// syncPending (`experiments sync`). Input is validated up front, as in the file store, so a call
// that would fail on the server fails here even while offline.
import fs from 'node:fs';
import path from 'node:path';
import { newRunId } from './ids.ts';
import {
  LOCAL_ID_PREFIX,
  TAG_CLIENT_RUN_ID,
  appendEntry,
  journalFile,
  listJournals,
  pendingDir,
  readState,
  readSynced,
  writeLock,
  type RunHeader,
} from './journal.ts';
import { MlflowClient, type ClientOptions } from './rest-client.ts';
import { isUnreachable } from './rest-errors.ts';
import { isLocalId, type IdResolver } from './replay.ts';
import { RestRun } from './rest-run.ts';
import { syncJournalDir, type SyncReport } from './sync.ts';
import { TAG_PARENT_RUN_ID, currentUser, runTags } from './system-tags.ts';
import type { CreateRunOptions, ResumedRun, RunHandle, Tracker } from './tracker.ts';
import { validateTag } from './validate.ts';

/** Experiment ids handed out while the server is unreachable: the name travels in the journal. */
export const PENDING_EXPERIMENT_PREFIX = 'pending-experiment:';

export interface RestStoreOptions extends ClientOptions {
  /** Results folder: the offline journal goes to `<localDir>/mlflow-pending/<worker>/`. */
  localDir: string;
  /** This worker's journal folder name (default: PRUNELAB_WORKER_ID, else `<host>-<pid>`). */
  worker?: string;
  /** Once the server was unreachable, calls go straight to the journal for this long before trying again (default 60 s). */
  retryOnlineAfterMs?: number;
  log?: (line: string) => void;
}

export class RestStore implements Tracker {
  readonly client: MlflowClient;
  readonly uri: string;
  /** `<localDir>/mlflow-pending/<worker>`. */
  readonly pendingDir: string;
  readonly localDir: string;
  /** Why artifacts are not uploaded (the server refused them); undefined while they are. */
  artifactsRefused: string | undefined;
  readonly log: (line: string) => void;
  private readonly retryAfterMs: number;
  private downUntil = 0;
  private readonly experimentNames = new Map<string, string>();
  /** pending-experiment:<name> -> the server's id, once known. */
  private readonly resolvedExperiments = new Map<string, string>();
  private readonly live = new Map<string, RestRun>();

  constructor(opts: RestStoreOptions) {
    this.client = new MlflowClient(opts);
    this.uri = this.client.baseUrl;
    this.localDir = opts.localDir;
    this.pendingDir = pendingDir(opts.localDir, opts.worker);
    this.log = opts.log ?? ((line) => console.warn(line));
    this.retryAfterMs = opts.retryOnlineAfterMs ?? 60_000;
  }

  /** True while calls go to the journal without trying the server. */
  get offline(): boolean {
    return Date.now() < this.downUntil;
  }

  /**
   * Whether to talk to the server now: yes when it never failed; no during the quiet period after
   * a failure; after it, only if a single quick ping answers.
   * @internal
   */
  async reachable(): Promise<boolean> {
    if (this.downUntil === 0) return true;
    if (this.offline) return false;
    if (await this.client.ping()) {
      this.noteUp(); // journaled runs replay at their next call (or flush())
      return true;
    }
    this.downUntil = Date.now() + this.retryAfterMs;
    return false;
  }

  /** Local ids of runs whose calls wait in the journal for `experiments sync`. */
  pendingRuns(): string[] {
    return listJournals(this.pendingDir);
  }

  async getOrCreateExperiment(name: string): Promise<string> {
    if (typeof name !== 'string' || name === '')
      throw new Error('getOrCreateExperiment: the experiment name must be a non-empty string');
    if (await this.reachable()) {
      try {
        const id = await this.client.getOrCreateExperiment(name);
        this.experimentNames.set(id, name);
        return id;
      } catch (err) {
        if (!isUnreachable(err)) throw err;
        this.noteDown(err);
      }
    }
    const id = PENDING_EXPERIMENT_PREFIX + name;
    this.experimentNames.set(id, name);
    return id;
  }

  async createRun(experimentId: string, opts: CreateRunOptions): Promise<RestRun> {
    const tags = runTags(opts);
    for (const [key, value] of Object.entries(tags)) validateTag(key, value);
    const startTime = opts.startTime ?? Date.now();
    if (!Number.isSafeInteger(startTime))
      throw new Error(`createRun: startTime must be integer epoch milliseconds, got ${startTime}`);
    const localId = LOCAL_ID_PREFIX + newRunId();
    const userId = currentUser();
    const pending = experimentId.startsWith(PENDING_EXPERIMENT_PREFIX);
    const experimentName =
      this.experimentNames.get(experimentId) ??
      (pending ? experimentId.slice(PENDING_EXPERIMENT_PREFIX.length) : undefined);
    let serverExperimentId = pending ? this.resolvedExperiments.get(experimentId) : experimentId;
    if (serverExperimentId === undefined && experimentName !== undefined && (await this.reachable())) {
      try {
        serverExperimentId = await this.client.getOrCreateExperiment(experimentName);
        this.resolvedExperiments.set(experimentId, serverExperimentId);
      } catch (err) {
        if (!isUnreachable(err)) throw err;
        this.noteDown(err);
      }
    }
    const parentId =
      opts.parentRunId === undefined ? undefined : ((await this.resolve(opts.parentRunId)) ?? opts.parentRunId);
    if (parentId !== undefined) tags[TAG_PARENT_RUN_ID] = parentId;
    const info = { runName: opts.runName, startTime, tags, userId, experimentName };

    if (
      serverExperimentId !== undefined &&
      (parentId === undefined || !isLocalId(parentId)) &&
      (await this.reachable())
    ) {
      try {
        const run = await this.client.createRun(
          {
            experimentId: serverExperimentId,
            runName: opts.runName,
            startTime,
            userId,
            tags: { ...tags, [TAG_CLIENT_RUN_ID]: localId },
          },
          { idempotencyTag: TAG_CLIENT_RUN_ID },
        );
        await writeLock(this.pendingDir, run.info.run_id);
        return this.register(
          new RestRun(this, run.info.run_id, serverExperimentId, info, {
            serverRunId: run.info.run_id,
            artifactUri: run.info.artifact_uri,
          }),
        );
      } catch (err) {
        if (!isUnreachable(err)) throw err;
        this.noteDown(err); // the run may exist on the server: the replay finds it by its client id tag
      }
    }
    const header: RunHeader = {
      op: 'run',
      id: localId,
      runName: opts.runName,
      startTime,
      userId,
      tags,
      ...(serverExperimentId !== undefined ? { experimentId: serverExperimentId } : {}),
      ...(experimentName !== undefined ? { experimentName } : {}),
      ...(parentId !== undefined ? { parentId } : {}),
    };
    if (header.experimentId === undefined && header.experimentName === undefined) {
      throw new Error(
        `createRun: experiment '${experimentId}' is unknown to this store and the server is unreachable; get the id ` +
          `from getOrCreateExperiment(name)`,
      );
    }
    await writeLock(this.pendingDir, localId);
    await appendEntry(this.pendingDir, localId, header, { create: true });
    return this.register(new RestRun(this, localId, experimentId, info, undefined));
  }

  async resumeRun(experimentId: string, key: string, value: string): Promise<ResumedRun | undefined> {
    if (experimentId.startsWith(PENDING_EXPERIMENT_PREFIX) || !(await this.reachable())) return undefined;
    if (/['`]/.test(key + value))
      throw new Error(`resumeRun: tag '${key}' = '${value}' must hold no quotes or backticks`);
    try {
      const found = (
        await this.client.searchAllRuns({ experimentIds: [experimentId], filter: `tags.\`${key}\` = '${value}'` })
      ).filter((r) => r.info.lifecycle_stage === 'active');
      const latest = found.sort((a, b) => (b.info.start_time ?? 0) - (a.info.start_time ?? 0))[0];
      if (!latest) return undefined;
      const info = latest.info;
      await this.client.updateRun(info.run_id, 'RUNNING');
      await writeLock(this.pendingDir, info.run_id);
      const local = {
        runName: info.run_name ?? '',
        startTime: info.start_time ?? Date.now(),
        tags: {},
        userId: info.user_id ?? currentUser(),
        experimentName: this.experimentNames.get(experimentId),
      };
      const run = this.register(
        new RestRun(this, info.run_id, experimentId, local, {
          serverRunId: info.run_id,
          artifactUri: info.artifact_uri,
        }),
      );
      return { run, params: Object.fromEntries((latest.data.params ?? []).map((p) => [p.key, p.value])) };
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      this.noteDown(err);
      return undefined;
    }
  }

  /**
   * Asks the server once whether it takes this run's artifacts (before any training, so a server without artifact
   * proxying costs no finished job). When it does not, artifacts stay on disk from now on: the reason is logged once,
   * and each run gets a `prunelab.local_artifact.<name>` tag with the file's path. Undefined: fine or unknown.
   */
  async checkArtifacts(run: RunHandle): Promise<string | undefined> {
    if (!(run instanceof RestRun) || run.offline || this.artifactsRefused) return this.artifactsRefused;
    const res = await this.client.probeArtifacts(run.artifactLocation as string);
    if (typeof res === 'object') this.refuseArtifacts(res.refused);
    return this.artifactsRefused;
  }

  private readonly said = new Set<string>();

  /** @internal Logs a line once per store and topic. */
  logOnce(topic: string, line: string): void {
    if (this.said.has(topic)) return;
    this.said.add(topic);
    this.log(line);
  }

  /** @internal */
  refuseArtifacts(reason: string): void {
    if (this.artifactsRefused !== undefined) return;
    this.artifactsRefused = reason;
    this.log(
      `MLflow: artifacts are not uploaded to ${this.uri} (${reason}). Runs, params, metrics and tags are; the files ` +
        `stay on disk under ${path.resolve(this.localDir)}, and each run's tags prunelab.local_artifact.<name> give ` +
        `their paths`,
    );
  }

  /** Pushes every journaled call of this process's live runs now, if the server answers. */
  async flush(): Promise<void> {
    for (const run of this.live.values()) await run.flush();
  }

  /**
   * The server answers again: push this worker's whole journal now (live runs, then runs that ended while it was
   * down), instead of waiting for `experiments sync`. Costs nothing while the journal is empty or during the quiet
   * period after a failure. The report lists what reached the server (local id -> server id).
   */
  pushPending(): Promise<SyncReport> {
    // one at a time: jobs ending together must not replay one journal twice (two runs/create)
    this.pushing ??= this.pushOnce().finally(() => {
      this.pushing = undefined;
    });
    return this.pushing;
  }

  private pushing: Promise<SyncReport> | undefined;

  private async pushOnce(): Promise<SyncReport> {
    const report: SyncReport = { synced: [], orphans: [], busy: [], failed: [] };
    if (this.pendingRuns().length === 0 || !(await this.reachable())) return report;
    await this.flush();
    try {
      await syncJournalDir(this.client, this.pendingDir, report, { log: this.log, resolveFirst: this.resolve });
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      this.noteDown(err);
    }
    return report;
  }

  /** Server run id for a run id of this store (a local id resolves once its run reached the server). */
  readonly resolve: IdResolver = async (id) => {
    if (!isLocalId(id)) return id;
    const run = this.live.get(id);
    if (run) {
      await run.flush();
      return run.serverRunId;
    }
    const known = readSynced(this.pendingDir).get(id) ?? readState(this.pendingDir, id)?.serverRunId;
    if (known !== undefined || !fs.existsSync(journalFile(this.pendingDir, id)) || !(await this.reachable()))
      return known;
    // a run of this worker that ended while the server was down (a scores run a phase-2 tag names): push it first
    const report: SyncReport = { synced: [], orphans: [], busy: [], failed: [] };
    try {
      await syncJournalDir(this.client, this.pendingDir, report, {
        log: this.log,
        resolveFirst: this.resolve,
        only: id,
      });
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      this.noteDown(err);
    }
    return report.synced.find((x) => x.id === id)?.serverRunId;
  };

  /** @internal */
  noteDown(err: Error): void {
    if (!this.offline) {
      this.log(
        `MLflow server ${this.uri} unreachable (${err.message}); recording runs in ${this.pendingDir}, replay them ` +
          `with \`experiments sync\``,
      );
    }
    this.downUntil = Date.now() + this.retryAfterMs;
  }

  /** @internal */
  noteUp(): void {
    if (this.downUntil !== 0) this.log(`MLflow server ${this.uri} reachable again`);
    this.downUntil = 0;
  }

  /** @internal */
  forget(run: RestRun): void {
    this.live.delete(run.runId);
  }

  private register(run: RestRun): RestRun {
    this.live.set(run.runId, run);
    return run;
  }
}
