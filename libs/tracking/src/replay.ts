// Replays one run's offline journal against the server, resumable at request granularity:
// before each request the state file says "in flight", after its answer "done". A replay killed
// between the two resends that one request as uncertain: metric points are first checked against
// the server's history (MlflowClient.logBatchChunk), params/tags/updates/artifact PUTs are
// idempotent, and a run creation looks for the run tagged with our local id before creating one.
// So nothing is lost and nothing is logged twice.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { splitBatch } from './rest-batch.ts';
import { artifactFiles, artifactUploadProblem, isArtifactRefusal, type MlflowClient } from './rest-client.ts';
import {
  LOCAL_ID_PREFIX,
  TAG_CLIENT_RUN_ID,
  readJournal,
  readState,
  writeState,
  type JournalEntry,
  type ReplayState,
  type RunHeader,
} from './journal.ts';
import { TAG_PARENT_RUN_ID } from './system-tags.ts';

/** Server run id of a run id that may be local (`local-...`); undefined while unknown. */
export type IdResolver = (id: string) => Promise<string | undefined>;

export interface ReplayResult {
  serverRunId: string;
  experimentId: string;
  artifactUri: string;
  /** The journal holds the run's end: nothing more will be appended. */
  ended: boolean;
}

/** Tag naming where an artifact the server would not take stays on disk: `prunelab.local_artifact.<path>`. */
export function localArtifactTag(name: string, artifactPath?: string): string {
  const rel = artifactPath ? `${artifactPath}/${name}` : name;
  return `prunelab.local_artifact.${rel.replace(/[^\w.-]/g, '_')}`.slice(0, 250);
}

export function isLocalId(id: string): boolean {
  return id.startsWith(LOCAL_ID_PREFIX);
}

export async function replayRun(
  client: MlflowClient,
  dir: string,
  id: string,
  resolve: IdResolver,
): Promise<ReplayResult> {
  const entries = readJournal(dir, id);
  let state: ReplayState = readState(dir, id) ?? { line: 0, req: 0, inflight: false };
  const save = async (s: ReplayState): Promise<void> => {
    state = s;
    await writeState(dir, id, s);
  };

  if (state.line === 0) {
    const created = await ensureRun(client, entries[0] as RunHeader, resolve);
    await save({ ...created, line: 1, req: 0, inflight: false });
  }
  const { serverRunId, experimentId, artifactUri } = state;
  if (serverRunId === undefined || experimentId === undefined || artifactUri === undefined) {
    throw new Error(
      `${path.join(dir, `${id}.state.json`)}: replay state past the header but without a server run; delete it to replay from the start`,
    );
  }

  for (let line = state.line; line < entries.length; line++) {
    const entry = entries[line] as JournalEntry;
    const requests = await expand(client, dir, entry, serverRunId, artifactUri, resolve);
    const first = line === state.line ? state.req : 0;
    for (let req = first; req < requests.length; req++) {
      const wasInflight = state.inflight && line === state.line && req === state.req;
      await save({ serverRunId, experimentId, artifactUri, line, req, inflight: true });
      await (requests[req] as (uncertain: boolean) => Promise<void>)(
        wasInflight || (entry.op === 'batch' && entry.uncertain === true),
      );
    }
    await save({ serverRunId, experimentId, artifactUri, line: line + 1, req: 0, inflight: false });
  }
  return { serverRunId, experimentId, artifactUri, ended: entries.some((e) => e.op === 'end') };
}

/** The server run for a journal header: the known one, the one a previous replay created, or a new one. */
async function ensureRun(
  client: MlflowClient,
  h: RunHeader,
  resolve: IdResolver,
): Promise<{ serverRunId: string; experimentId: string; artifactUri: string }> {
  if (h.serverRunId !== undefined) {
    if (h.artifactUri !== undefined && h.experimentId !== undefined)
      return { serverRunId: h.serverRunId, experimentId: h.experimentId, artifactUri: h.artifactUri };
    const { info } = await client.getRun(h.serverRunId);
    return { serverRunId: h.serverRunId, experimentId: info.experiment_id, artifactUri: info.artifact_uri };
  }
  let experimentId = h.experimentId;
  if (experimentId === undefined) {
    if (h.experimentName === undefined) throw new Error(`journal of run ${h.id}: the header names no experiment`);
    experimentId = await client.getOrCreateExperiment(h.experimentName);
  }
  const tags: Record<string, string> = { ...(await resolveTags(h.tags, resolve)), [TAG_CLIENT_RUN_ID]: h.id };
  if (h.parentId !== undefined) {
    const parent = isLocalId(h.parentId) ? await resolve(h.parentId) : h.parentId;
    if (parent === undefined)
      throw new Error(
        `run ${h.id} waits for its parent run ${h.parentId}, which has not reached the server yet (its journal is ` +
          `missing or failed)`,
      );
    tags[TAG_PARENT_RUN_ID] = parent;
  }
  // uncertain: a replay interrupted after runs/create left a run tagged with our id; it is reused
  const run = await client.createRun(
    {
      experimentId,
      runName: h.runName,
      startTime: h.startTime,
      tags,
      ...(h.userId !== undefined ? { userId: h.userId } : {}),
    },
    { idempotencyTag: TAG_CLIENT_RUN_ID, uncertain: true },
  );
  return { serverRunId: run.info.run_id, experimentId, artifactUri: run.info.artifact_uri };
}

/** A tag naming another journaled run (prunelab.subset_run, resumed_from_run) gets that run's server id. */
async function resolveTags(tags: Record<string, string>, resolve: IdResolver): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags))
    out[k] = isLocalId(v) && k !== TAG_PARENT_RUN_ID ? ((await resolve(v)) ?? v) : v;
  return out;
}

/** The requests one journal line turns into, in a fixed order (the state counts them). */
async function expand(
  client: MlflowClient,
  dir: string,
  entry: JournalEntry,
  runId: string,
  artifactUri: string,
  resolve: IdResolver,
): Promise<((uncertain: boolean) => Promise<void>)[]> {
  switch (entry.op) {
    case 'run':
      return [];
    case 'batch': {
      const named = await resolveTags(Object.fromEntries(entry.tags.map((t) => [t.key, t.value])), resolve);
      const batch = { ...entry, tags: entry.tags.map((t) => ({ key: t.key, value: named[t.key] as string })) };
      return splitBatch(batch).map((chunk) => (uncertain) => client.logBatchChunk(runId, chunk, { uncertain }));
    }
    case 'artifact': {
      // a server that takes no artifacts gets a tag naming where the files are on disk instead
      const keepLocal = async (): Promise<void> => {
        const tag = { key: localArtifactTag(path.basename(entry.copy), entry.artifactPath), value: entry.source ?? '' };
        await client.logBatchChunk(runId, { metrics: [], params: [], tags: [tag] });
      };
      if (artifactUploadProblem(artifactUri) !== undefined) return [keepLocal];
      const files = await artifactFiles(path.join(dir, ...entry.copy.split('/')), entry.artifactPath);
      return files.map((f) => async () => {
        try {
          await client.uploadArtifact(artifactUri, f.rel, await readFile(f.abs));
        } catch (err) {
          if (!isArtifactRefusal(err)) throw err;
          await keepLocal();
        }
      });
    }
    case 'inputs':
      return [async () => void (await client.logInputs(runId, entry.datasets))];
    case 'end':
      return [async () => void (await client.updateRun(runId, entry.status, entry.endTime))];
  }
}
