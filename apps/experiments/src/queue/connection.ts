// BullMQ and ioredis, loaded only by the queue commands (`run --queue`, `worker`, `status --queue`, `retry`,
// `cancel`): the in-process default never imports them and needs no Redis.
// One BullMQ queue ("prunelab") serves every grid; a job's BullMQ id is its content hash prefixed by the grid's
// folder key, so the same job is never enqueued twice while two grids that share a job (same hash, another
// results folder) each get theirs.
import { createHash } from 'node:crypto';
import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { ConfigError } from '../config.ts';

export const QUEUE_NAME = 'prunelab';

/** What every queue job carries: enough for a worker on any machine that sees the same results folder. */
export interface QueueJobData {
  /** absolute results folder of the grid (results/<name>); its config.json is the config the grid ran with */
  outDir: string;
  /** the job's id (its folder relative to outDir) and content hash */
  id: string;
  hash: string;
  /** the grid's MLflow parent run */
  parentRunId: string;
  label: string;
}

/** A short key of a results folder: Redis keys and job ids of one grid share it. */
export const gridKey = (outDir: string) => createHash('sha256').update(outDir).digest('hex').slice(0, 12);

/** BullMQ job id of a grid job: grid key and content hash (no ':', which BullMQ reserves). */
export const queueJobId = (outDir: string, hash: string) => `${gridKey(outDir)}-${hash}`;

/** The Redis key a `cancel` sets: coordinators of this grid stop enqueuing. */
export const cancelKey = (outDir: string) => `prunelab:cancel:${gridKey(outDir)}`;

/** `--queue redis://host:port[/db]`, checked before anything connects. */
export function parseQueueUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`--queue: '${url}' is not a URL; write it as redis://host:port, e.g. redis://127.0.0.1:6379`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new ConfigError(`--queue: '${url}' is not a redis:// URL; write it as redis://host:port`);
  if (!u.hostname) throw new ConfigError(`--queue: '${url}' names no host; write it as redis://host:port`);
  return url;
}

interface Bull {
  bullmq: typeof import('bullmq');
  Redis: typeof import('ioredis').Redis;
}

let loaded: Promise<Bull> | undefined;
/** The modules, imported on first use. */
export function loadBull(): Promise<Bull> {
  loaded ??= Promise.all([import('bullmq'), import('ioredis')]).then(([bullmq, io]) => ({ bullmq, Redis: io.Redis }));
  return loaded;
}

/**
 * A Redis client for BullMQ (a constructed client, as BullMQ asks in native ESM). `maxRetriesPerRequest: null`:
 * a worker waits out a Redis restart instead of failing its blocking calls.
 */
export async function connect(url: string, opts: { failFast?: boolean } = {}): Promise<Redis> {
  const { Redis } = await loadBull();
  const client = new Redis(parseQueueUrl(url), {
    maxRetriesPerRequest: opts.failFast ? 1 : null,
    lazyConnect: true,
    ...(opts.failFast && { retryStrategy: () => null }),
  });
  try {
    await client.connect();
  } catch (e) {
    client.disconnect();
    throw new Error(
      `cannot reach Redis at ${url} (${e instanceof Error ? e.message : String(e)}): start one (README: ` +
        `"Distributed runs") or pass the right --queue redis://host:port`,
    );
  }
  return client;
}

/** The Redis key two coordinators of one grid take in turn while they find or create the grid's parent run. */
export const parentLockKey = (outDir: string) => `prunelab:parent-lock:${gridKey(outDir)}`;

/**
 * `fn` while this process holds `key` (SET NX with an expiry: a coordinator killed inside `fn` frees it after
 * `ttlMs`). Two coordinators starting together would otherwise both miss the grid's parent run and make one each.
 */
export async function withRedisLock<T>(client: Redis, key: string, fn: () => Promise<T>, ttlMs = 60_000): Promise<T> {
  const token = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  while ((await client.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') await new Promise((r) => setTimeout(r, 100));
  try {
    return await fn();
  } finally {
    // only our own token: after an expiry the key may be another coordinator's
    if ((await client.get(key)) === token) await client.del(key);
  }
}

export async function openQueue(client: Redis): Promise<Queue<QueueJobData>> {
  const { bullmq } = await loadBull();
  return new bullmq.Queue<QueueJobData>(QUEUE_NAME, { connection: client });
}

export type { Queue, Worker };
