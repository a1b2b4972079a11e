// A small typed client for MLflow's REST API 2.0 on fetch (the npm `mlflow` package is abandoned).
// 4xx answers throw MlflowApiError at once; network errors, 5xx and 429 are retried with
// exponential backoff and end in MlflowUnreachableError.
import fs from 'node:fs/promises';
import path from 'node:path';
import { localArtifactPath } from './meta-yaml.ts';
import { MlflowApiError, MlflowUnreachableError, TransientError, parseErrorBody } from './rest-errors.ts';
import { splitBatch } from './rest-batch.ts';
import type { Batch, Experiment, KeyValue, Run, RunInfo, WireMetric, WireStatus } from './rest-types.ts';
import type { DatasetInput } from './tracker.ts';

export interface ClientOptions {
  /** Tracking server base URL, e.g. http://127.0.0.1:5000 (a path prefix is kept). */
  uri: string;
  /** Attempts per request, including the first (default 5). */
  maxAttempts?: number;
  /** Wait before the first retry, doubled each time up to maxBackoffMs (defaults 500 and 8000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Per attempt (default 30 s; artifact uploads get 10x). */
  timeoutMs?: number;
  /** Extra headers, e.g. Authorization (openTracker fills it from MLFLOW_TRACKING_TOKEN / _USERNAME+_PASSWORD). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export interface CreateRunRequest {
  experimentId: string;
  runName?: string;
  startTime: number;
  tags: Record<string, string>;
  userId?: string;
}

export interface SearchRunsRequest {
  experimentIds: string[];
  filter?: string;
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT';
  /** Path under the base URL, e.g. /api/2.0/mlflow/runs/create. */
  path: string;
  query?: Record<string, string>;
  json?: unknown;
  body?: Uint8Array;
  timeoutMs?: number;
}

const API = '/api/2.0/mlflow';
const ARTIFACTS_API = '/api/2.0/mlflow-artifacts/artifacts';

export class MlflowClient {
  readonly baseUrl: string;
  private readonly opts: Required<Omit<ClientOptions, 'uri' | 'headers'>> & { headers: Record<string, string> };

  constructor(options: ClientOptions) {
    if (!/^https?:\/\//.test(options.uri))
      throw new Error(`MlflowClient: tracking URI '${options.uri}' must start with http:// or https://`);
    this.baseUrl = options.uri.replace(/\/+$/, '');
    this.opts = {
      maxAttempts: options.maxAttempts ?? 5,
      backoffMs: options.backoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 8000,
      timeoutMs: options.timeoutMs ?? 30_000,
      headers: options.headers ?? {},
      fetch: options.fetch ?? globalThis.fetch,
      sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    };
  }

  // ---- experiments ----

  /** The experiment with this name (active or deleted), or undefined when there is none. */
  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const res = await this.call<{ experiment: Experiment }>({
        method: 'GET',
        path: `${API}/experiments/get-by-name`,
        query: { experiment_name: name },
      });
      return res.experiment;
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw err;
    }
  }

  async createExperiment(name: string, tags: Record<string, string> = {}): Promise<string> {
    const res = await this.call<{ experiment_id: string }>({
      method: 'POST',
      path: `${API}/experiments/create`,
      json: { name, tags: kv(tags) },
    });
    return String(res.experiment_id);
  }

  /** Id of the active experiment named `name`, created when missing (a concurrent create is tolerated). */
  async getOrCreateExperiment(name: string): Promise<string> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const found = await this.getExperimentByName(name);
      if (found) {
        if (found.lifecycle_stage !== 'active') {
          throw new Error(
            `MLflow experiment '${name}' (id ${found.experiment_id}) on ${this.baseUrl} is ${found.lifecycle_stage}; ` +
              `restore it in the MLflow UI or choose another name`,
          );
        }
        return String(found.experiment_id);
      }
      try {
        return await this.createExperiment(name);
      } catch (err) {
        // someone else created it between our get and create: read it back
        if (!(err instanceof MlflowApiError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
      }
    }
    throw new Error(`MLflow experiment '${name}' on ${this.baseUrl}: neither found nor created after 3 attempts`);
  }

  /**
   * One quick attempt (default 5 s) to see whether the server answers at all: any HTTP answer
   * below 500, even a 404, proves it is there. Used before replaying journals after an outage, so
   * a server that swallows requests costs seconds, not the full retry schedule.
   */
  async ping(timeoutMs = 5000): Promise<boolean> {
    try {
      await this.once({ method: 'GET', path: `${API}/experiments/get`, query: { experiment_id: '0' }, timeoutMs });
      return true;
    } catch (err) {
      return err instanceof MlflowApiError;
    }
  }

  // ---- runs ----

  /**
   * runs/create. With `idempotencyTag` (a key of req.tags whose value is unique to this run), a
   * retry, or any attempt when `uncertain`, first looks for a run already holding that tag, so a
   * create whose answer was lost is not made twice.
   */
  async createRun(req: CreateRunRequest, opts: { idempotencyTag?: string; uncertain?: boolean } = {}): Promise<Run> {
    const body: Record<string, unknown> = {
      experiment_id: req.experimentId,
      start_time: req.startTime,
      tags: kv(req.tags),
    };
    if (req.runName !== undefined) body.run_name = req.runName;
    if (req.userId !== undefined) body.user_id = req.userId;
    const tagKey = opts.idempotencyTag;
    const tagValue = tagKey === undefined ? undefined : req.tags[tagKey];
    if (tagKey !== undefined && (tagValue === undefined || /['`]/.test(tagValue) || /`/.test(tagKey))) {
      throw new Error(
        `createRun: idempotency tag '${tagKey}' must be one of the run's tags, without quotes or backticks`,
      );
    }
    return this.retrying('POST runs/create', async (attempt) => {
      if (tagKey !== undefined && (opts.uncertain || attempt > 0)) {
        const found = await this.searchRunsOnce({
          experimentIds: [req.experimentId],
          filter: `tags.\`${tagKey}\` = '${tagValue}'`,
          maxResults: 2,
        });
        if (found.runs[0]) return found.runs[0];
      }
      const res = await this.once<{ run: Run }>({ method: 'POST', path: `${API}/runs/create`, json: body });
      return res.run;
    });
  }

  async getRun(runId: string): Promise<Run> {
    const res = await this.call<{ run: Run }>({ method: 'GET', path: `${API}/runs/get`, query: { run_id: runId } });
    return res.run;
  }

  async updateRun(runId: string, status: WireStatus, endTime?: number): Promise<RunInfo> {
    const body: Record<string, unknown> = { run_id: runId, status };
    if (endTime !== undefined) body.end_time = endTime;
    const res = await this.call<{ run_info: RunInfo }>({ method: 'POST', path: `${API}/runs/update`, json: body });
    return res.run_info;
  }

  searchRuns(req: SearchRunsRequest): Promise<{ runs: Run[]; nextPageToken?: string }> {
    return this.retrying('POST runs/search', () => this.searchRunsOnce(req));
  }

  private async searchRunsOnce(req: SearchRunsRequest): Promise<{ runs: Run[]; nextPageToken?: string }> {
    const body: Record<string, unknown> = { experiment_ids: req.experimentIds, max_results: req.maxResults ?? 1000 };
    if (req.filter !== undefined) body.filter = req.filter;
    if (req.orderBy !== undefined) body.order_by = req.orderBy;
    if (req.pageToken !== undefined) body.page_token = req.pageToken;
    const res = await this.once<{ runs?: Run[]; next_page_token?: string }>({
      method: 'POST',
      path: `${API}/runs/search`,
      json: body,
    });
    return res.next_page_token
      ? { runs: res.runs ?? [], nextPageToken: res.next_page_token }
      : { runs: res.runs ?? [] };
  }

  /** Every run matching the filter, following next_page_token. */
  async searchAllRuns(req: Omit<SearchRunsRequest, 'pageToken'>): Promise<Run[]> {
    const out: Run[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      const res = await this.searchRuns(pageToken === undefined ? req : { ...req, pageToken });
      out.push(...res.runs);
      if (!res.nextPageToken) return out;
      pageToken = res.nextPageToken;
    }
    throw new Error(`MLflow runs/search on ${this.baseUrl}: more than 10000 pages; narrow the filter`);
  }

  async getMetricHistory(runId: string, key: string): Promise<WireMetric[]> {
    const res = await this.call<{ metrics?: WireMetric[] }>({
      method: 'GET',
      path: `${API}/metrics/get-history`,
      query: { run_id: runId, metric_key: key },
    });
    return res.metrics ?? [];
  }

  /** Logs any number of metrics/params/tags, split into requests within the server's limits. */
  async logBatch(runId: string, batch: Partial<Batch>, opts: { uncertain?: boolean } = {}): Promise<number> {
    const chunks = splitBatch({ metrics: batch.metrics ?? [], params: batch.params ?? [], tags: batch.tags ?? [] });
    for (const chunk of chunks) await this.logBatchChunk(runId, chunk, opts);
    return chunks.length;
  }

  /**
   * One log-batch request (already within the limits). Metric points are appended by the server,
   * so a retry after a failure that may have reached it (or `uncertain`: a journal entry that was
   * in flight when the process died) first drops the points the server already holds
   * (same key, step and timestamp): each point lands exactly once.
   */
  async logBatchChunk(runId: string, chunk: Batch, opts: { uncertain?: boolean } = {}): Promise<void> {
    const endpoint = 'POST runs/log-batch';
    await this.retrying(endpoint, async (attempt) => {
      const metrics = opts.uncertain || attempt > 0 ? await this.missingPoints(runId, chunk.metrics) : chunk.metrics;
      if (metrics.length + chunk.params.length + chunk.tags.length === 0) return;
      await this.once({
        method: 'POST',
        path: `${API}/runs/log-batch`,
        json: { run_id: runId, metrics, params: chunk.params, tags: chunk.tags },
      });
    });
  }

  /** The points of `metrics` that the run does not hold yet. */
  async missingPoints(runId: string, metrics: WireMetric[]): Promise<WireMetric[]> {
    if (metrics.length === 0) return metrics;
    const have = new Set<string>();
    for (const key of new Set(metrics.map((m) => m.key))) {
      // one attempt: the caller's retry loop owns the retries
      const res = await this.once<{ metrics?: WireMetric[] }>({
        method: 'GET',
        path: `${API}/metrics/get-history`,
        query: { run_id: runId, metric_key: key },
      });
      for (const p of res.metrics ?? []) have.add(pointId(p));
    }
    return metrics.filter((m) => !have.has(pointId(m)));
  }

  /**
   * runs/log-inputs: datasets the run read (the server keeps each dataset once per experiment). False when the
   * server has no such endpoint (MLflow before 2.4 answers its HTML 404): datasets are extra, never worth a job.
   */
  async logInputs(runId: string, datasets: DatasetInput[]): Promise<boolean> {
    try {
      await this.call({ method: 'POST', path: `${API}/runs/log-inputs`, json: { run_id: runId, datasets } });
      return true;
    } catch (err) {
      if (err instanceof MlflowApiError && err.status === 404 && err.errorCode === undefined) return false;
      throw err;
    }
  }

  // ---- artifacts ----

  /**
   * Whether artifacts can be uploaded to `artifactUri` through this server, asked once (5 s) before any training:
   * 'ok', 'unknown' (the server did not answer: the journal takes them), or why not. An `s3://` (or other remote)
   * URI means a server without artifact proxying (`--no-serve-artifacts`); a proxy route that answers anything but
   * 2xx (a 503 "disabled due to ... --no-serve-artifacts", a 404 behind a gateway) refuses too.
   */
  async probeArtifacts(artifactUri: string, timeoutMs = 5000): Promise<'ok' | 'unknown' | { refused: string }> {
    const problem = artifactUploadProblem(artifactUri);
    if (problem) return { refused: problem };
    if (!artifactUri.startsWith('mlflow-artifacts:')) return 'ok';
    const listPath = artifactProxyPath(artifactUri, '').slice(ARTIFACTS_API.length + 1);
    try {
      await this.once({ method: 'GET', path: ARTIFACTS_API, query: { path: listPath }, timeoutMs });
      return 'ok';
    } catch (err) {
      return err instanceof MlflowApiError ? { refused: err.message } : 'unknown';
    }
  }

  /**
   * Uploads one file's bytes to `<artifactUri>/<relPath>`. `mlflow-artifacts:` URIs go through
   * the server's artifact proxy (PUT, idempotent: a retry overwrites); `file:` URIs are written
   * directly (a server on this machine without artifact serving).
   */
  async uploadArtifact(artifactUri: string, relPath: string, data: Uint8Array): Promise<void> {
    const local = artifactUri.startsWith('mlflow-artifacts:') ? undefined : localArtifactPath(artifactUri);
    if (local !== undefined) {
      const dest = path.join(local, ...relPath.split('/'));
      await fs.mkdir(path.dirname(dest), { recursive: true });
      await fs.writeFile(dest, data);
      return;
    }
    const proxyPath = artifactProxyPath(artifactUri, relPath);
    await this.call({ method: 'PUT', path: proxyPath, body: data, timeoutMs: this.opts.timeoutMs * 10 });
  }

  /** Uploads a file to `<artifactPath>/<name>` or a folder's files to `<artifactPath>/<folder>/...`; returns the uploaded relative paths. */
  async logArtifact(artifactUri: string, localPath: string, artifactPath?: string): Promise<string[]> {
    const files = await artifactFiles(localPath, artifactPath);
    for (const f of files) await this.uploadArtifact(artifactUri, f.rel, await fs.readFile(f.abs));
    return files.map((f) => f.rel);
  }

  // ---- transport ----

  private call<T>(spec: RequestSpec): Promise<T> {
    return this.retrying(endpointName(spec), () => this.once<T>(spec));
  }

  private async retrying<T>(endpoint: string, attemptFn: (attempt: number) => Promise<T>): Promise<T> {
    let wait = this.opts.backoffMs;
    let last: unknown;
    for (let attempt = 0; attempt < this.opts.maxAttempts; attempt++) {
      if (attempt > 0) {
        await this.opts.sleep(wait);
        wait = Math.min(wait * 2, this.opts.maxBackoffMs);
      }
      try {
        return await attemptFn(attempt);
      } catch (err) {
        if (!(err instanceof TransientError) && !(err instanceof MlflowUnreachableError)) throw err;
        last = err;
      }
    }
    const reason = last instanceof Error ? last.message : String(last);
    throw new MlflowUnreachableError(endpoint, this.opts.maxAttempts, reason, last);
  }

  /** One attempt: JSON result, MlflowApiError on 4xx, TransientError on network/5xx/429. */
  private async once<T>(spec: RequestSpec): Promise<T> {
    const endpoint = endpointName(spec);
    const url = new URL(this.baseUrl + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { ...this.opts.headers };
    let body: string | Uint8Array | undefined;
    if (spec.json !== undefined) {
      headers['Content-Type'] = 'application/json'; // without it the server answers 400
      body = JSON.stringify(spec.json);
    } else if (spec.body !== undefined) {
      headers['Content-Type'] = 'application/octet-stream';
      body = spec.body;
    }
    let res: Response;
    let text: string;
    try {
      res = await this.opts.fetch(url, {
        method: spec.method,
        headers,
        body,
        signal: AbortSignal.timeout(spec.timeoutMs ?? this.opts.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      throw new TransientError(
        `${endpoint} at ${this.baseUrl}: ${(err as Error).message}${cause?.code ? ` (${cause.code})` : ''}`,
        err,
      );
    }
    // a server without artifact proxying answers its artifact routes 503 for good: not worth retrying
    if (res.status === 503 && text.includes('--no-serve-artifacts')) {
      throw new MlflowApiError(endpoint, res.status, undefined, parseErrorBody(text).message);
    }
    if (res.status >= 500 || res.status === 429) {
      const { errorCode, message } = parseErrorBody(text);
      throw new TransientError(`${endpoint}: HTTP ${res.status}${errorCode ? ` ${errorCode}` : ''}: ${message}`);
    }
    if (!res.ok) {
      const { errorCode, message } = parseErrorBody(text);
      throw new MlflowApiError(endpoint, res.status, errorCode, message);
    }
    if (text.trim() === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new MlflowApiError(
        endpoint,
        res.status,
        undefined,
        `expected a JSON body, got '${text.slice(0, 200)}'; is ${this.baseUrl} an MLflow tracking server?`,
      );
    }
  }
}

/** Why artifacts cannot be uploaded to `artifactUri` from here, or undefined when they can (mlflow-artifacts:, file:). */
export function artifactUploadProblem(artifactUri: string): string | undefined {
  if (artifactUri.startsWith('mlflow-artifacts:') || localArtifactPath(artifactUri) !== undefined) return undefined;
  return (
    `the run's artifact_uri is ${artifactUri}: the server does not proxy artifacts (mlflow server ` +
    `--no-serve-artifacts) and this client uploads only through the proxy`
  );
}

/** An upload the server refused for good (no proxy, a gateway's 404/403): retrying or journaling cannot help. */
export function isArtifactRefusal(err: unknown): boolean {
  return err instanceof MlflowApiError && /mlflow-artifacts/.test(err.endpoint);
}

/** `mlflow-artifacts:/8/<run>/artifacts` + `a/b.txt` -> `/api/2.0/mlflow-artifacts/artifacts/8/<run>/artifacts/a/b.txt`. */
export function artifactProxyPath(artifactUri: string, relPath: string): string {
  if (!artifactUri.startsWith('mlflow-artifacts:')) {
    throw new Error(
      `artifact_uri '${artifactUri}' is neither mlflow-artifacts: nor file:, so this client cannot upload to it; ` +
        `start the server with artifact serving (the default in MLflow 2.x, or --serve-artifacts)`,
    );
  }
  // mlflow-artifacts:/path or mlflow-artifacts://host:port/path: only the path matters to the proxy.
  const rest = artifactUri.slice('mlflow-artifacts:'.length);
  const base = rest.startsWith('//') ? new URL(`http:${rest}`).pathname : rest;
  const segs = [...base.split('/'), ...relPath.split('/')].filter((s) => s !== '');
  return `${ARTIFACTS_API}/${segs.map(encodeURIComponent).join('/')}`;
}

/** Files to upload for logArtifact(localPath, artifactPath), with their artifact-relative paths, sorted. */
export async function artifactFiles(localPath: string, artifactPath?: string): Promise<{ abs: string; rel: string }[]> {
  const src = path.resolve(localPath);
  const stat = await fs.stat(src).catch(() => undefined);
  if (!stat) throw new Error(`logArtifact: ${src} does not exist; pass an existing file or folder`);
  const prefix = artifactPath ? `${artifactPath}/` : '';
  if (!stat.isDirectory()) return [{ abs: src, rel: `${prefix}${path.basename(src)}` }];
  const out: { abs: string; rel: string }[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      if (e.isDirectory()) await walk(path.join(dir, e.name), `${rel}/${e.name}`);
      else out.push({ abs: path.join(dir, e.name), rel: `${rel}/${e.name}` });
    }
  };
  await walk(src, `${prefix}${path.basename(src)}`);
  return out;
}

function endpointName(spec: RequestSpec): string {
  // '/api/2.0/mlflow-artifacts' starts with '/api/2.0/mlflow' too: the artifact routes are told apart first
  if (spec.path.startsWith(ARTIFACTS_API))
    return `${spec.method} mlflow-artifacts${spec.path.slice(ARTIFACTS_API.length)}`;
  const p = spec.path.startsWith(`${API}/`) ? spec.path.slice(API.length + 1) : spec.path;
  return `${spec.method} ${p}`;
}

function kv(record: Record<string, string>): KeyValue[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

function pointId(m: { key: string; step?: number; timestamp: number }): string {
  return `${m.key}\u0000${m.step ?? 0}\u0000${m.timestamp}`;
}
