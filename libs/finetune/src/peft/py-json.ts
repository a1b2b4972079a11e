// JSON as Python's json.dumps(obj, indent=2, sort_keys=True) writes it, which is how peft and AdapterHub save
// their configs: keys sorted at every level, floats in Python's repr (0.0, 1e-05), so a saved config can equal the
// library's file byte for byte. JavaScript numbers do not say whether they were floats: a config marks its floats
// with pyFloat().

const FLOAT = Symbol('pyFloat');
export interface PyFloat {
  [FLOAT]: number;
}

/** A number Python holds as a float (written 8.0, not 8). */
export function pyFloat(x: number): PyFloat {
  return { [FLOAT]: x };
}

export function isPyFloat(v: unknown): v is PyFloat {
  return typeof v === 'object' && v !== null && FLOAT in v;
}

/** Python's repr of a float: the shortest digits that round-trip, scientific below 1e-4 and from 1e16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  const fixed = x.toFixed(Math.max(0, (mant.split('.')[1]?.length ?? 0) - exp));
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}

function sortDeep(v: unknown, floats: string[]): unknown {
  if (isPyFloat(v)) {
    floats.push(pyFloatRepr(v[FLOAT]));
    return `\u0000${floats.length - 1}\u0000`;
  }
  if (Array.isArray(v)) return v.map((x) => sortDeep(x, floats));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortDeep((v as Record<string, unknown>)[k], floats);
    return out;
  }
  return v;
}

/** json.dumps(obj, indent=2, sort_keys=True) (ensure_ascii: non-ASCII escaped as \uXXXX), without a newline. */
export function pythonJson(obj: unknown): string {
  const floats: string[] = [];
  const text = JSON.stringify(sortDeep(obj, floats), null, 2).replace(
    /[\u0080-\uffff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return text.replace(/"\\u0000(\d+)\\u0000"/g, (_, i) => floats[Number(i)]!);
}
