// One run of the REST store (rest-store.ts): calls go to the server while it answers and to the run's journal
// while it does not; the journal is replayed by the run itself at its next call once the server is back.
import fs from 'node:fs';
import path from 'node:path';
import {
  appendEntry,
  finishJournal,
  journalFile,
  removeLock,
  stashArtifact,
  type BatchEntry,
  type EndEntry,
  type InputsEntry,
  type RunHeader,
} from './journal.ts';
import { artifactUploadProblem, isArtifactRefusal } from './rest-client.ts';
import { isUnreachable } from './rest-errors.ts';
import { toWireNumber, type KeyValue, type WireMetric } from './rest-types.ts';
import { localArtifactTag, replayRun } from './replay.ts';
import type { RestStore } from './rest-store.ts';
import type { DatasetInput, ParamValue, RunHandle, RunStatus } from './tracker.ts';
import {
  paramString,
  validateArtifactPath,
  validateDatasets,
  validateKey,
  validateMetric,
  validateParam,
  validateTag,
} from './validate.ts';

/** What a run handle keeps of its creation, to write a journal header if the server goes away. */
export interface RunInfoLocal {
  runName: string;
  startTime: number;
  tags: Record<string, string>;
  userId: string;
  experimentName: string | undefined;
}

export class RestRun implements RunHandle {
  /** The server's run id, or `local-...` when the run was created while the server was unreachable. */
  readonly runId: string;
  readonly experimentId: string;
  private serverId: string | undefined;
  private artifactUri: string | undefined;
  private journaling: boolean;
  private replayBroken = false;
  private readonly params = new Map<string, string>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: RestStore,
    runId: string,
    experimentId: string,
    private readonly info: RunInfoLocal,
    server: { serverRunId: string; artifactUri: string } | undefined,
  ) {
    this.runId = runId;
    this.experimentId = experimentId;
    this.serverId = server?.serverRunId;
    this.artifactUri = server?.artifactUri;
    this.journaling = server === undefined;
  }

  /** The run id on the server; undefined while the run exists only in the journal. */
  get serverRunId(): string | undefined {
    return this.serverId;
  }

  /** True while this run's calls go to the journal. */
  get offline(): boolean {
    return this.journaling;
  }

  /** The run's artifact_uri on the server; undefined while the run exists only in the journal. */
  get artifactLocation(): string | undefined {
    return this.artifactUri;
  }

  logParams(params: Record<string, ParamValue>): Promise<void> {
    return this.serial(async () => {
      const entries = Object.entries(params).map(([key, v]) => {
        validateKey('param', key);
        const value = paramString(key, v);
        validateParam(key, value);
        const old = this.params.get(key);
        if (old !== undefined && old !== value) {
          throw new Error(
            `param '${key}' of run ${this.runId} was already logged with value '${old}'; params are write-once, ` +
              `so it cannot change to '${value}': log it under another key or start a new run`,
          );
        }
        return { key, value };
      });
      await this.submit({ op: 'batch', metrics: [], params: entries, tags: [] });
      for (const { key, value } of entries) this.params.set(key, value);
    });
  }

  logMetric(key: string, value: number, step = 0, timestamp = Date.now()): Promise<void> {
    return this.serial(async () => {
      validateMetric(key, value, step, timestamp);
      await this.submit({
        op: 'batch',
        metrics: [{ key, value: toWireNumber(value), timestamp, step }],
        params: [],
        tags: [],
      });
    });
  }

  logMetrics(metrics: Record<string, number>, step = 0): Promise<void> {
    return this.serial(async () => {
      const timestamp = Date.now();
      const points: WireMetric[] = Object.entries(metrics).map(([key, value]) => {
        validateMetric(key, value, step, timestamp);
        return { key, value: toWireNumber(value), timestamp, step };
      });
      await this.submit({ op: 'batch', metrics: points, params: [], tags: [] });
    });
  }

  setTags(tags: Record<string, string>): Promise<void> {
    return this.serial(async () => {
      const kv: KeyValue[] = Object.entries(tags).map(([key, value]) => {
        validateTag(key, value);
        return { key, value };
      });
      await this.submit({ op: 'batch', metrics: [], params: [], tags: kv });
    });
  }

  logArtifact(localPath: string, artifactPath?: string): Promise<void> {
    return this.serial(async () => {
      if (artifactPath !== undefined) validateArtifactPath(artifactPath);
      if (!fs.existsSync(localPath))
        throw new Error(`logArtifact: ${localPath} does not exist; pass an existing file or folder`);
      // an artifact the server cannot take must never fail the job that made it: it stays on disk, a tag says where
      const problem =
        this.store.artifactsRefused ?? (this.journaling ? undefined : artifactUploadProblem(this.artifactUri!));
      if (problem !== undefined) {
        this.store.refuseArtifacts(problem);
        return this.keepLocal(localPath, artifactPath);
      }
      if (!this.journaling) {
        try {
          await this.store.client.logArtifact(this.artifactUri as string, localPath, artifactPath);
          return;
        } catch (err) {
          if (isArtifactRefusal(err)) {
            this.store.refuseArtifacts((err as Error).message);
            return this.keepLocal(localPath, artifactPath);
          }
          if (!isUnreachable(err)) throw err;
          await this.goOffline(err);
        }
      }
      // PUTs overwrite, so a partly uploaded folder is simply uploaded again from the copy
      const copy = await stashArtifact(this.store.pendingDir, this.runId, localPath);
      await appendEntry(this.store.pendingDir, this.runId, {
        op: 'artifact',
        copy,
        source: path.resolve(localPath),
        ...(artifactPath !== undefined ? { artifactPath } : {}),
      });
      await this.tryOnline();
    });
  }

  logInputs(datasets: DatasetInput[]): Promise<void> {
    return this.serial(async () => {
      validateDatasets(datasets);
      if (datasets.length) await this.submit({ op: 'inputs', datasets });
    });
  }

  private keepLocal(localPath: string, artifactPath?: string): Promise<void> {
    const key = localArtifactTag(path.basename(path.resolve(localPath)), artifactPath);
    return this.submit({ op: 'batch', metrics: [], params: [], tags: [{ key, value: path.resolve(localPath) }] });
  }

  end(status: RunStatus = 'FINISHED'): Promise<void> {
    return this.serial(async () => {
      if (status !== 'FINISHED' && status !== 'FAILED' && status !== 'KILLED') {
        throw new Error(`end: unknown status '${String(status)}'; use 'FINISHED', 'FAILED' or 'KILLED'`);
      }
      await this.submit({ op: 'end', status, endTime: Date.now() });
      await removeLock(this.store.pendingDir, this.runId);
      this.store.forget(this);
    });
  }

  /** Replays this run's journal now if the server answers (no-op when online). */
  flush(): Promise<void> {
    return this.serial(() => this.tryOnline());
  }

  private async submit(entry: BatchEntry | InputsEntry | EndEntry): Promise<void> {
    if (!this.journaling) {
      try {
        await this.send(entry);
        return;
      } catch (err) {
        if (!isUnreachable(err)) throw err;
        await this.goOffline(err);
        // it may have reached the server before the connection died: the replay checks
        if (entry.op === 'batch') entry = { ...entry, uncertain: true };
      }
    }
    await appendEntry(this.store.pendingDir, this.runId, entry);
    await this.tryOnline();
  }

  private async send(entry: BatchEntry | InputsEntry | EndEntry): Promise<void> {
    const runId = this.serverId as string;
    if (entry.op === 'end') await this.store.client.updateRun(runId, entry.status, entry.endTime);
    else if (entry.op === 'inputs') {
      if (!(await this.store.client.logInputs(runId, entry.datasets)))
        this.store.logOnce(
          'inputs',
          `MLflow: ${this.store.uri} has no runs/log-inputs (MLflow < 2.4): datasets not logged`,
        );
    } else await this.store.client.logBatch(runId, entry);
  }

  /** The server went away mid-run: start this run's journal with what the replay needs to find the run. */
  private async goOffline(err: Error): Promise<void> {
    this.store.noteDown(err);
    const header: RunHeader = {
      op: 'run',
      id: this.runId,
      serverRunId: this.serverId as string,
      artifactUri: this.artifactUri as string,
      experimentId: this.experimentId,
      runName: this.info.runName,
      startTime: this.info.startTime,
      tags: {},
      userId: this.info.userId,
    };
    await appendEntry(this.store.pendingDir, this.runId, header, { create: true });
    this.journaling = true;
  }

  private async tryOnline(): Promise<void> {
    if (!this.journaling || this.replayBroken || !(await this.store.reachable())) return;
    const dir = this.store.pendingDir;
    try {
      const res = await replayRun(this.store.client, dir, this.runId, this.store.resolve);
      await finishJournal(dir, this.runId, res.serverRunId, res.experimentId);
      this.serverId = res.serverRunId;
      this.artifactUri = res.artifactUri;
      this.journaling = false;
      this.store.noteUp();
    } catch (err) {
      if (isUnreachable(err)) {
        this.store.noteDown(err);
      } else if (!/waits for its parent/.test((err as Error).message)) {
        // a server-side refusal: stop retrying in this process, `experiments sync` will report it
        this.replayBroken = true;
        this.store.log(
          `MLflow: replaying run ${this.runId} failed (${(err as Error).message}); its calls stay in ` +
            `${journalFile(dir, this.runId)}`,
        );
      }
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.chain.then(fn);
    this.chain = result.catch(() => undefined); // one failed call must not block the next
    return result;
  }
}
