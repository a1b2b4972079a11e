// One switch for the app: MLFLOW_TRACKING_URI unset or a path/file: URI -> the local file store,
// http(s):// -> the REST store with its offline journal under the results folder (one folder per worker).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileStore } from './file-store.ts';
import type { ClientOptions } from './rest-client.ts';
import { workerId } from './journal.ts';
import { RestStore } from './rest-store.ts';

export interface OpenTrackerOptions {
  /** Tracking URI; defaults to env.MLFLOW_TRACKING_URI. */
  uri?: string | undefined;
  /** Results folder: `<localDir>/mlruns` when no URI is set, `<localDir>/mlflow-pending/<worker>` for the offline journal. */
  localDir: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** REST client settings (retries, timeouts). */
  client?: Omit<ClientOptions, 'uri'>;
  retryOnlineAfterMs?: number;
}

export function openTracker(opts: OpenTrackerOptions): FileStore | RestStore {
  const env = opts.env ?? process.env;
  const uri = (opts.uri ?? env.MLFLOW_TRACKING_URI ?? '').trim();
  if (uri === '') return new FileStore(path.join(opts.localDir, 'mlruns'));
  if (/^https?:\/\//i.test(uri)) {
    const headers = { ...authHeaders(env), ...opts.client?.headers };
    const retries = envNumber(env, 'MLFLOW_HTTP_REQUEST_MAX_RETRIES');
    const timeout = envNumber(env, 'MLFLOW_HTTP_REQUEST_TIMEOUT');
    const quiet = envNumber(env, 'PRUNELAB_MLFLOW_RETRY_ONLINE_SECONDS');
    const retryOnlineAfterMs = opts.retryOnlineAfterMs ?? (quiet === undefined ? undefined : quiet * 1000);
    return new RestStore({
      ...(retries !== undefined && { maxAttempts: retries + 1 }),
      ...(timeout !== undefined && { timeoutMs: timeout * 1000 }),
      ...opts.client,
      headers,
      uri,
      localDir: opts.localDir,
      worker: workerId(env),
      ...(opts.log ? { log: opts.log } : {}),
      ...(retryOnlineAfterMs !== undefined ? { retryOnlineAfterMs } : {}),
    });
  }
  if (uri.startsWith('file://')) return new FileStore(fileURLToPath(uri));
  if (uri.startsWith('file:')) return new FileStore(path.resolve(uri.slice('file:'.length)));
  if (/^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(uri) && !/^[a-zA-Z]:[\\/]/.test(uri)) {
    throw new Error(
      `MLFLOW_TRACKING_URI '${uri}' is not supported: use http(s)://host:port for a tracking server, ` +
        `a folder path or file:///abs/path for a local mlruns store, or leave it unset for ` +
        `${path.join(opts.localDir, 'mlruns')}`,
    );
  }
  return new FileStore(path.resolve(uri)); // a plain folder path, as MLflow accepts
}

/**
 * A non-negative number from the environment: MLflow's MLFLOW_HTTP_REQUEST_MAX_RETRIES (retries after the first
 * attempt) and MLFLOW_HTTP_REQUEST_TIMEOUT (seconds per attempt), and PRUNELAB_MLFLOW_RETRY_ONLINE_SECONDS (how
 * long calls go straight to the journal after the server failed, default 60).
 */
function envNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`${name}='${raw}' is not a non-negative number; set it to e.g. 0, 5 or 30, or unset it`);
  return n;
}

/** MLflow's own client variables: a bearer token, or basic auth. */
function authHeaders(env: NodeJS.ProcessEnv): Record<string, string> {
  if (env.MLFLOW_TRACKING_TOKEN) return { Authorization: `Bearer ${env.MLFLOW_TRACKING_TOKEN}` };
  if (env.MLFLOW_TRACKING_USERNAME && env.MLFLOW_TRACKING_PASSWORD) {
    return {
      Authorization: `Basic ${Buffer.from(`${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD}`).toString('base64')}`,
    };
  }
  return {};
}
