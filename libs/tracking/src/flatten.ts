// Configs are nested objects; MLflow params are flat string pairs. Dotted keys (`phase1.lr`)
// keep the nesting readable in the UI and in run searches (`params.phase1.lr = '0.001'`).

/** Nested config -> `{ 'a.b': '1' }`. Arrays are JSON-encoded, undefined values are skipped. */
export function flattenParams(obj: Record<string, unknown>, prefix?: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (value: unknown, key: string): void => {
    if (value === undefined) return; // an absent option: nothing to log
    if (isPlainObject(value)) {
      const entries = Object.entries(value);
      if (entries.length === 0 && key) out[key] = '{}'; // keep an explicitly empty section visible
      for (const [k, v] of entries) walk(v, key ? `${key}.${k}` : k);
      return;
    }
    if (!key)
      throw new Error(
        `flattenParams: expected an object of config values, got ${Array.isArray(value) ? 'an array' : typeof value}`,
      );
    if (Array.isArray(value)) out[key] = JSON.stringify(value);
    else if (value instanceof Date) out[key] = value.toISOString();
    else out[key] = String(value); // string, number, boolean, null, bigint
  };
  walk(obj, prefix ?? '');
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
