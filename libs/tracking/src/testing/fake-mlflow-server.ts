// Test double of an MLflow 2.10 tracking server on 127.0.0.1 (random port): the request checks,
// limits, error codes and response shapes recorded from a real server in
// ../shared/docs/mlflow-rest-transcript.md. Tests only; not exported from index.ts.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  json?: Record<string, unknown>;
  bytes: number;
}

/** What to do with a request before handling it: answer with a status, drop the connection before or after applying it. */
export type Fault = { status: number; body?: string } | 'drop-before' | 'drop-after' | undefined;

interface FakePoint {
  key: string;
  value: number | string;
  timestamp: number;
  step: number;
}

interface FakeRun {
  info: Record<string, unknown> & { run_id: string; experiment_id: string; status: string };
  params: Map<string, string>;
  tags: Map<string, string>;
  metrics: FakePoint[];
  /** runs/log-inputs, in the order received (the real server keeps one per dataset) */
  inputs: { dataset: Record<string, unknown>; tags: { key: string; value: string }[] }[];
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const KEY_RE = /^[/\w.\- ]*$/u;
const STATUSES = new Set(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);

export class FakeMlflowServer {
  readonly requests: FakeRequest[] = [];
  readonly experiments = new Map<
    string,
    {
      experiment_id: string;
      name: string;
      lifecycle_stage: string;
      artifact_location: string;
      tags: { key: string; value: string }[];
    }
  >();
  readonly runs = new Map<string, FakeRun>();
  readonly artifacts = new Map<string, Buffer>();
  /** Decides a fault per request (tests set it); undefined handles the request normally. */
  fault: (req: FakeRequest) => Fault = () => undefined;
  /** Every request is refused at the socket (the server looks unreachable). */
  down = false;
  /**
   * false: `mlflow server --no-serve-artifacts`: every /api/2.0/mlflow-artifacts route answers 503 with MLflow
   * 2.10's text (handlers.py _disable_unless_serve_artifacts), and new experiments get `artifactRoot` locations.
   */
  serveArtifacts = true;
  /** --default-artifact-root, e.g. 's3://bucket/mlflow': experiments created from now on get `<root>/<id>`. */
  artifactRoot = 'mlflow-artifacts:';
  private server?: http.Server;
  private nextExperimentId = 1;

  constructor() {
    this.experiments.set('0', {
      experiment_id: '0',
      name: 'Default',
      lifecycle_stage: 'active',
      artifact_location: 'mlflow-artifacts:/0',
      tags: [],
    });
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    const addr = this.server?.address() as AddressInfo | null;
    if (!addr) throw new Error('fake MLflow server not started');
    return `http://127.0.0.1:${addr.port}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Requests to one endpoint, e.g. 'runs/log-batch'. */
  calls(endpoint: string): FakeRequest[] {
    return this.requests.filter((r) => r.path.endsWith(`/${endpoint}`) || r.path.includes(`/${endpoint}/`));
  }

  history(runId: string, key: string): FakePoint[] {
    return (this.runs.get(runId)?.metrics ?? []).filter((m) => m.key === key);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    if (this.down) {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const info: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      bytes: raw.length,
    };
    try {
      if (req.method === 'POST') {
        if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
          throw new HttpError(400, 'BAD_REQUEST', 'Content-Type must be application/json');
        info.json = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      }
    } catch (err) {
      this.requests.push(info);
      return send(res, err instanceof HttpError ? err.status : 400, {
        error_code: err instanceof HttpError ? err.code : 'MALFORMED_REQUEST',
        message: (err as Error).message,
      });
    }
    this.requests.push(info);
    const fault = this.fault(info);
    if (fault === 'drop-before') {
      req.socket.destroy();
      return;
    }
    if (fault && typeof fault === 'object') {
      res.writeHead(fault.status, { 'Content-Type': 'text/html' });
      res.end(fault.body ?? '<html><body>Service Unavailable</body></html>');
      return;
    }
    let status = 200;
    let body: unknown;
    try {
      body = this.route(info, raw);
    } catch (err) {
      // an unexpected error still gets an answer: a silent socket would stall the client until its timeout
      status = err instanceof HttpError ? err.status : 500;
      body = { error_code: err instanceof HttpError ? err.code : 'INTERNAL_ERROR', message: (err as Error).message };
    }
    if (fault === 'drop-after') {
      req.socket.destroy(); // applied, but the client never hears back
      return;
    }
    if (body === NO_SERVE_ARTIFACTS) {
      res.writeHead(503, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(
        'Endpoint: /api/2.0/mlflow-artifacts/artifacts/<path:artifact_path> disabled due to the mlflow server running ' +
          'with `--no-serve-artifacts`. To enable artifacts server functionality, run `mlflow server` with ' +
          '`--serve-artifacts`',
      );
      return;
    }
    if (body === NOT_FOUND) {
      res.writeHead(404, { 'Content-Type': 'text/html' });
      res.end('<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n');
      return;
    }
    send(res, status, body);
  }

  private route(r: FakeRequest, raw: Buffer): unknown {
    const p = r.path;
    const j = r.json ?? {};
    if (p.startsWith('/api/2.0/mlflow-artifacts/') && !this.serveArtifacts) return NO_SERVE_ARTIFACTS;
    if (r.method === 'GET' && p === '/api/2.0/mlflow-artifacts/artifacts') {
      const prefix = `${r.query.path ?? ''}/`.replace(/^\/+/, '');
      const files = [...this.artifacts.keys()]
        .filter((k) => k.startsWith(prefix))
        .map((k) => ({ path: k.slice(prefix.length), is_dir: false }));
      return files.length ? { files } : {};
    }
    if (r.method === 'PUT' && p.startsWith('/api/2.0/mlflow-artifacts/artifacts/')) {
      const rel = decodeURIComponent(p.slice('/api/2.0/mlflow-artifacts/artifacts/'.length));
      if (rel.split('/').some((s) => s === '..' || s === ''))
        throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'Invalid path');
      this.artifacts.set(rel, raw);
      return {};
    }
    const ep = `${r.method} ${p.replace('/api/2.0/mlflow/', '')}`;
    switch (ep) {
      case 'GET experiments/get-by-name': {
        const name = required(r.query, 'experiment_name');
        const e = [...this.experiments.values()].find((x) => x.name === name);
        if (!e) throw new HttpError(404, 'RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
        return { experiment: e };
      }
      case 'GET experiments/get': {
        const id = required(r.query, 'experiment_id');
        const e = this.experiments.get(id);
        if (!e) throw new HttpError(404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${id} exists`);
        return { experiment: e };
      }
      case 'POST experiments/create': {
        const name = required(j, 'name');
        if ([...this.experiments.values()].some((x) => x.name === name)) {
          throw new HttpError(400, 'RESOURCE_ALREADY_EXISTS', `Experiment(name=${name}) already exists.`);
        }
        const id = String(this.nextExperimentId++);
        const tags = (j.tags as { key: string; value: string }[] | undefined) ?? [];
        this.experiments.set(id, {
          experiment_id: id,
          name,
          lifecycle_stage: 'active',
          artifact_location:
            this.artifactRoot === 'mlflow-artifacts:' ? `mlflow-artifacts:/${id}` : `${this.artifactRoot}/${id}`,
          tags,
        });
        return { experiment_id: id };
      }
      case 'POST runs/create': {
        const expId = required(j, 'experiment_id');
        if (!this.experiments.has(expId))
          throw new HttpError(404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${expId} exists`);
        const runId = randomUUID().replaceAll('-', '');
        const tags = new Map<string, string>();
        for (const t of (j.tags as { key: string; value: string }[] | undefined) ?? []) tags.set(t.key, t.value);
        const runName = typeof j.run_name === 'string' ? j.run_name : `run-${runId.slice(0, 6)}`;
        tags.set('mlflow.runName', runName);
        const run: FakeRun = {
          info: {
            run_uuid: runId,
            experiment_id: expId,
            run_name: runName,
            user_id: typeof j.user_id === 'string' ? j.user_id : '',
            status: 'RUNNING',
            start_time: typeof j.start_time === 'number' ? j.start_time : Date.now(),
            artifact_uri: `${this.experiments.get(expId)!.artifact_location}/${runId}/artifacts`,
            lifecycle_stage: 'active',
            run_id: runId,
          },
          params: new Map(),
          tags,
          metrics: [],
          inputs: [],
        };
        this.runs.set(runId, run);
        return { run: this.runJson(run, false) };
      }
      case 'GET runs/get':
        return { run: this.runJson(this.run(required(r.query, 'run_id')), true) };
      case 'POST runs/update': {
        const run = this.run(required(j, 'run_id'));
        if (typeof j.status === 'string' && STATUSES.has(j.status)) run.info.status = j.status; // unknown status: silently ignored
        if (typeof j.end_time === 'number') run.info.end_time = j.end_time;
        return { run_info: run.info };
      }
      case 'POST runs/log-batch':
        this.logBatch(j);
        return {};
      case 'POST runs/log-inputs': {
        const run = this.run(required(j, 'run_id'));
        const datasets = (j.datasets ?? []) as FakeRun['inputs'];
        for (const d of datasets) {
          for (const f of ['name', 'digest', 'source_type', 'source'])
            if (typeof d.dataset?.[f] !== 'string' || d.dataset[f] === '')
              throw new HttpError(
                400,
                'INVALID_PARAMETER_VALUE',
                `Missing value for required parameter 'dataset.${f}'.`,
              );
          const same = (x: FakeRun['inputs'][number]) =>
            x.dataset.name === d.dataset.name && x.dataset.digest === d.dataset.digest;
          if (!run.inputs.some(same)) run.inputs.push({ dataset: d.dataset, tags: d.tags ?? [] });
        }
        return {};
      }
      case 'GET metrics/get-history': {
        const run = this.run(required(r.query, 'run_id'));
        const key = required(r.query, 'metric_key');
        return { metrics: run.metrics.filter((m) => m.key === key) };
      }
      case 'POST runs/search': {
        const ids = j.experiment_ids;
        if (!Array.isArray(ids))
          throw new HttpError(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'experiment_ids'.");
        const max = typeof j.max_results === 'number' ? j.max_results : 1000;
        if (max > 50000)
          throw new HttpError(
            400,
            'INVALID_PARAMETER_VALUE',
            `Invalid value ${max} for parameter 'max_results' supplied.`,
          );
        const match = filterFn(typeof j.filter === 'string' ? j.filter : '');
        const runs = [...this.runs.values()]
          .filter((x) => ids.includes(x.info.experiment_id) && match(x))
          .map((x) => this.runJson(x, true));
        return runs.length ? { runs } : {};
      }
      default:
        return NOT_FOUND;
    }
  }

  private logBatch(j: Record<string, unknown>): void {
    const run = this.run(required(j, 'run_id'));
    const metrics = (j.metrics ?? []) as Record<string, unknown>[];
    const params = (j.params ?? []) as { key: string; value: unknown }[];
    const tags = (j.tags ?? []) as { key: string; value: unknown }[];
    const bad: (msg: string) => never = (msg) => {
      throw new HttpError(400, 'INVALID_PARAMETER_VALUE', msg);
    };
    if (metrics.length > 1000)
      bad(
        `A batch logging request can contain at most 1000 metrics. Got ${metrics.length} metrics. Please split up ` +
          `metrics across multiple requests and try again.`,
      );
    if (params.length > 100)
      bad(
        `A batch logging request can contain at most 100 params. Got ${params.length} params. Please split up params ` +
          `across multiple requests and try again.`,
      );
    if (tags.length > 100)
      bad(
        `A batch logging request can contain at most 100 tags. Got ${tags.length} tags. Please split up tags across ` +
          `multiple requests and try again.`,
      );
    const total = metrics.length + params.length + tags.length;
    if (total > 1000)
      bad(
        `A batch logging request can contain at most 1000 metrics, params, and tags. Got ${total} metrics, params, ` +
          `and tags. Please split up metrics, params, and tags across multiple requests and try again.`,
      );
    for (const m of metrics) {
      if (typeof m.key !== 'string' || m.value === undefined || typeof m.timestamp !== 'number')
        bad(`Invalid value ${JSON.stringify(metrics)} for parameter 'metrics' supplied.`);
      if (typeof m.value === 'string' && Number.isNaN(Number(m.value)) && m.value !== 'NaN')
        bad(`Invalid value for metric '${String(m.key)}'`);
      checkKey('metric', m.key as string);
    }
    const seen = new Set<string>();
    for (const p of params) {
      if (seen.has(p.key))
        bad(
          `Duplicate parameter keys have been submitted: ['${p.key}']. Please ensure the request contains only one ` +
            `param value per param key.`,
        );
      seen.add(p.key);
      checkKey('param', p.key);
      if (typeof p.value !== 'string') bad(`Invalid value ${String(p.value)} for parameter 'value' supplied.`);
      if (p.value.length > 6000)
        bad(`Param value '${p.value.slice(0, 20)}' had length ${p.value.length}, which exceeded length limit of 6000`);
      const old = run.params.get(p.key);
      if (old !== undefined && old !== p.value) {
        bad(
          `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old}' ` +
            `for run ID='${run.info.run_id}'. Attempted logging new value '${p.value}'.`,
        );
      }
    }
    for (const t of tags) {
      checkKey('tag', t.key);
      if (typeof t.value !== 'string') bad(`Invalid value ${String(t.value)} for parameter 'value' supplied.`);
      if (t.value.length > 5000)
        bad(`Tag value '${t.value.slice(0, 20)}' had length ${t.value.length}, which exceeded length limit of 5000`);
    }
    // all checks passed: apply (the real server applies a batch as a whole)
    for (const p of params) run.params.set(p.key, p.value as string);
    for (const t of tags) run.tags.set(t.key, t.value as string);
    for (const m of metrics) {
      run.metrics.push({
        key: m.key as string,
        value: m.value as number | string,
        timestamp: m.timestamp as number,
        step: typeof m.step === 'number' ? m.step : 0,
      });
    }
  }

  private run(runId: string): FakeRun {
    const run = this.runs.get(runId);
    if (!run) throw new HttpError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${runId} not found`);
    return run;
  }

  private runJson(run: FakeRun, withData: boolean): unknown {
    const tags = [...run.tags].map(([key, value]) => ({ key, value }));
    if (!withData) return { info: run.info, data: { tags } };
    const latest = new Map<string, FakePoint>();
    for (const m of run.metrics) {
      const cur = latest.get(m.key);
      if (!cur || m.step > cur.step || (m.step === cur.step && m.timestamp >= cur.timestamp)) latest.set(m.key, m);
    }
    return {
      info: run.info,
      data: { metrics: [...latest.values()], params: [...run.params].map(([key, value]) => ({ key, value })), tags },
      inputs: { dataset_inputs: run.inputs },
    };
  }
}

const NOT_FOUND = Symbol('not found');
const NO_SERVE_ARTIFACTS = Symbol('no serve artifacts');

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function required(o: Record<string, unknown>, name: string): string {
  const v = o[name];
  if (typeof v !== 'string' || v === '') {
    throw new HttpError(
      400,
      'INVALID_PARAMETER_VALUE',
      `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`,
    );
  }
  return v;
}

function checkKey(kind: string, key: string): void {
  if (typeof key !== 'string' || !KEY_RE.test(key)) {
    throw new HttpError(
      400,
      'INVALID_PARAMETER_VALUE',
      `Invalid ${kind} name: '${String(key)}'. Names may only contain alphanumerics, underscores (_), dashes (-), ` +
        `periods (.), spaces ( ), and slashes (/).`,
    );
  }
  if (key.length > 250)
    throw new HttpError(
      400,
      'INVALID_PARAMETER_VALUE',
      `${kind} name '${key}' had length ${key.length}, which exceeded length limit of 250`,
    );
}

/** The subset of MLflow's filter grammar the client uses: `tags.\`k\` = 'v'` and `attributes.status = 'X'`, joined by AND. */
function filterFn(filter: string): (run: FakeRun) => boolean {
  if (filter.trim() === '') return () => true;
  const preds = filter.split(/\s+and\s+/i).map((clause) => {
    const m = /^\s*(tags|attributes)\.(`[^`]+`|[\w.]+)\s*=\s*'([^']*)'\s*$/.exec(clause);
    if (!m) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `fake server cannot parse filter clause '${clause}'`);
    const [, kind, rawKey = '', value] = m;
    const key = rawKey.replace(/^`|`$/g, '');
    return (run: FakeRun) => (kind === 'tags' ? run.tags.get(key) === value : String(run.info[key]) === value);
  });
  return (run) => preds.every((p) => p(run));
}
