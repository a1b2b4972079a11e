// A real Redis for the distributed tests and the queue benchmark: REDIS_URL when set (a disposable server: the
// tests FLUSHALL it), otherwise a private redis-server on a free loopback port, without persistence, stopped
// afterwards. Where the binary is missing the tests are skipped with a line naming the package, unless
// PRUNELAB_REQUIRE_REDIS=1 (CI, .ci/run), where a missing server is a failure.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRedis {
  url: string;
  /** stop the server if this process started it */
  stop(): void;
  /** a server this process started: stopped (its data gone: no persistence), `downMs` later up on the same port */
  restart?(downMs: number): Promise<void>;
}

export const INSTALL_HINT = 'install the redis-server package (apt-get install redis-server) or set REDIS_URL';

/** The redis-server binary on PATH, if any. */
export function redisServerBinary(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Why the distributed tests cannot run here (undefined: they can); throws when PRUNELAB_REQUIRE_REDIS=1. */
export function redisSkipReason(): string | undefined {
  if (process.env.REDIS_URL || redisServerBinary()) return undefined;
  const why = `no Redis: ${INSTALL_HINT}`;
  if (process.env.PRUNELAB_REQUIRE_REDIS === '1')
    throw new Error(`${why} (PRUNELAB_REQUIRE_REDIS=1: the distributed tests must run here)`);
  console.log(`# distributed queue tests skipped: ${why}`);
  return why;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A PING answered within 5 s, or false. */
async function answers(url: string): Promise<boolean> {
  const { Redis } = await import('ioredis');
  for (let i = 0; i < 100; i++) {
    const c = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on('error', () => {});
    try {
      await c.connect();
      if ((await c.ping()) === 'PONG') {
        c.disconnect();
        return true;
      }
    } catch {
      // not up yet
    }
    c.disconnect();
    await sleep(50);
  }
  return false;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** REDIS_URL, or a private server on 127.0.0.1 that answers PING before this returns. */
export async function startTestRedis(): Promise<TestRedis> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: () => {} };
  const bin = redisServerBinary();
  if (!bin) throw new Error(`no redis-server on PATH: ${INSTALL_HINT}`);
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-redis-'));
  const pidfile = join(dir, 'redis.pid');
  const port = await freePort();
  const launch = () =>
    execFileSync(bin, [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'yes',
      '--pidfile',
      pidfile,
      '--dir',
      dir,
    ]);
  /** SIGTERM to the server; its pid, or undefined when it is already gone */
  const signal = (): number | undefined => {
    if (!existsSync(pidfile)) return undefined;
    const pid = Number(readFileSync(pidfile, 'utf8'));
    try {
      process.kill(pid, 'SIGTERM');
      return pid;
    } catch {
      return undefined;
    }
  };
  const stop = () => {
    signal();
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `redis://127.0.0.1:${port}`;
  launch();
  if (!(await answers(url))) {
    stop();
    throw new Error(`redis-server on port ${port} did not answer PING within 5 s`);
  }
  const restart = async (downMs: number) => {
    // the port is free again only once the process is gone
    const pid = signal();
    for (let i = 0; pid !== undefined && i < 200 && alive(pid); i++) await sleep(25);
    await sleep(downMs);
    launch();
    if (!(await answers(url))) throw new Error(`redis-server on port ${port} did not come back within 5 s`);
  };
  return { url, stop, restart };
}
