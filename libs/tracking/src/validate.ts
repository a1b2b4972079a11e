// The MLflow server's input rules (mlflow/utils/validation.py, verified against 2.10.2), checked
// before anything is written so a run never holds data a server would have rejected.

export type KeyKind = 'metric' | 'param' | 'tag';

export const MAX_KEY_LENGTH = 250;
export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_TAG_VALUE_LENGTH = 5000;

// Python's `[/\w.\- ]` on str: \w is Unicode letters, digits and underscore.
const KEY_CHARS = /^[/\p{L}\p{N}_.\- ]*$/u;
const ALLOWED = 'letters, digits, underscores (_), dashes (-), periods (.), spaces ( ) and slashes (/)';

/** Python len(): code points, not UTF-16 units. */
function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** MLflow's path_not_unique: the key must equal posixpath.normpath(key) and stay inside its folder. */
function normalisedRelative(key: string): boolean {
  if (key.startsWith('..')) return false;
  return key.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

export function validateKey(kind: KeyKind, key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new Error(`${kind} key must be a string, got ${typeof key} (${String(key)})`);
  if (!KEY_CHARS.test(key)) {
    throw new Error(`invalid ${kind} key '${key}': keys may only contain ${ALLOWED}; rename the key`);
  }
  if (!normalisedRelative(key)) {
    throw new Error(
      `invalid ${kind} key '${key}': keys are stored as file paths, so they must be normalised relative paths ` +
        `(not empty, no leading '/', no '//', no trailing '/', no '.' or '..' parts); rename the key`,
    );
  }
  const len = pyLen(key);
  if (len > MAX_KEY_LENGTH) {
    throw new Error(
      `${kind} key '${key.slice(0, 40)}...' has length ${len}, over MLflow's limit of ${MAX_KEY_LENGTH}; shorten the ` +
        `key`,
    );
  }
}

function validateValue(kind: KeyKind, key: string, value: unknown, max: number): asserts value is string {
  if (typeof value !== 'string') throw new Error(`${kind} '${key}' value must be a string, got ${typeof value}`);
  const len = pyLen(value);
  if (len > max) {
    throw new Error(
      `${kind} '${key}' value ('${value.slice(0, 40)}...') has length ${len}, over MLflow's limit of ${max}; ` +
        `store long values as an artifact instead`,
    );
  }
}

export function validateParam(key: unknown, value: unknown): asserts value is string {
  validateKey('param', key);
  validateValue('param', key, value, MAX_PARAM_VALUE_LENGTH);
}

export function validateTag(key: unknown, value: unknown): asserts value is string {
  validateKey('tag', key);
  validateValue('tag', key, value, MAX_TAG_VALUE_LENGTH);
}

export function validateMetric(key: unknown, value: unknown, step: unknown, timestamp: unknown): void {
  validateKey('metric', key);
  if (typeof value !== 'number')
    throw new Error(`metric '${key}' value must be a number, got ${typeof value} (${String(value)})`);
  if (!Number.isSafeInteger(step)) throw new Error(`metric '${key}' step must be an integer, got ${String(step)}`);
  if (!Number.isSafeInteger(timestamp)) {
    throw new Error(`metric '${key}' timestamp must be integer epoch milliseconds, got ${String(timestamp)}`);
  }
}

/** An artifact sub-path: relative, normalised, never escaping the run's artifact folder. */
export function validateArtifactPath(artifactPath: string): void {
  if (!normalisedRelative(artifactPath)) {
    throw new Error(
      `invalid artifact path '${artifactPath}': use a normalised relative path inside the run's artifacts ` +
        `(e.g. 'reports/epoch1'; no leading '/', no '//', no '.' or '..' parts)`,
    );
  }
}

/** Param values are logged as strings, the way MLflow clients stringify them. */
export function paramString(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(
    `param '${key}' must be a string, number or boolean, got ${value === null ? 'null' : typeof value}; flatten ` +
      `nested configs with flattenParams()`,
  );
}

/** MLflow's dataset limits (mlflow/utils/validation.py): the server refuses longer values. */
const DATASET_LIMITS = { name: 500, digest: 36, source_type: 36, source: 65535, schema: 1048575, profile: 16384 };

export function validateDatasets(datasets: unknown): void {
  if (!Array.isArray(datasets)) throw new Error('logInputs: pass an array of {dataset, tags}');
  for (const [i, d] of datasets.entries()) {
    const ds = (d as { dataset?: Record<string, unknown> } | undefined)?.dataset;
    if (!ds || typeof ds !== 'object') throw new Error(`logInputs: datasets[${i}] has no 'dataset' object`);
    for (const [field, max] of Object.entries(DATASET_LIMITS)) {
      const v = ds[field];
      const optional = field === 'schema' || field === 'profile';
      if (v === undefined && optional) continue;
      if (typeof v !== 'string' || v === '' || v.length > max)
        throw new Error(
          `logInputs: datasets[${i}].dataset.${field} must be a non-empty string of at most ${max} characters, got ` +
            `${typeof v === 'string' ? `${v.length} characters` : String(v)}`,
        );
    }
    const tags = (d as { tags?: unknown }).tags ?? [];
    if (!Array.isArray(tags)) throw new Error(`logInputs: datasets[${i}].tags must be an array of {key, value}`);
    for (const t of tags as { key: unknown; value: unknown }[]) {
      if (
        typeof t?.key !== 'string' ||
        t.key === '' ||
        t.key.length > 255 ||
        typeof t.value !== 'string' ||
        t.value.length > 500
      )
        throw new Error(
          `logInputs: datasets[${i}] tag ${JSON.stringify(t)}: keys are 1-255 characters, values strings of at most 500`,
        );
    }
  }
}
