// Two kinds of failure: the server answered and refused (a 4xx: our request is wrong, retrying
// cannot help, the caller must see it) or it could not be reached / failed (network, 5xx, 429:
// retried, and in the end the tracker falls back to its offline journal).

export class MlflowApiError extends Error {
  readonly endpoint: string;
  readonly status: number;
  readonly errorCode: string | undefined;
  readonly serverMessage: string;

  constructor(endpoint: string, status: number, errorCode: string | undefined, serverMessage: string) {
    super(`MLflow ${endpoint} failed: HTTP ${status}${errorCode ? ` ${errorCode}` : ''}: ${serverMessage}`);
    this.name = 'MlflowApiError';
    this.endpoint = endpoint;
    this.status = status;
    this.errorCode = errorCode;
    this.serverMessage = serverMessage;
  }
}

export class MlflowUnreachableError extends Error {
  readonly endpoint: string;
  readonly attempts: number;

  constructor(endpoint: string, attempts: number, reason: string, cause?: unknown) {
    super(`MLflow ${endpoint}: server unreachable after ${attempts} attempt(s): ${reason}`, { cause });
    this.name = 'MlflowUnreachableError';
    this.endpoint = endpoint;
    this.attempts = attempts;
  }
}

/** A single attempt's transient failure; turned into MlflowUnreachableError when attempts run out. */
export class TransientError extends Error {
  constructor(reason: string, cause?: unknown) {
    super(reason, { cause });
    this.name = 'TransientError';
  }
}

export function isUnreachable(err: unknown): err is MlflowUnreachableError {
  return err instanceof MlflowUnreachableError;
}

/** The server's `{error_code, message}`, or a short text excerpt when the body is not JSON (an HTML 404 page). */
export function parseErrorBody(text: string): { errorCode: string | undefined; message: string } {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object') {
      const o = body as Record<string, unknown>;
      const errorCode = typeof o.error_code === 'string' ? o.error_code : undefined;
      const message = typeof o.message === 'string' ? o.message : text.slice(0, 300);
      return { errorCode, message };
    }
  } catch {
    // not JSON: fall through
  }
  const plain = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return { errorCode: undefined, message: plain.slice(0, 300) || '(empty body)' };
}
