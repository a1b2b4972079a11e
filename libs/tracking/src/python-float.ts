// The file store writes metric values with Python's str(float), so `1` is "1.0", 1e-5 is "1e-05",
// NaN is "nan". Matching it byte for byte keeps files indistinguishable from MLflow's own.

/** Python 3 repr/str of a float. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() with no argument gives the shortest round-trip digits, the same digits Python picks.
  const [mant = '', expStr = ''] = Math.abs(x).toExponential().split('e');
  const digits = mant.replace('.', '');
  const exp = Number(expStr);
  // Python switches to scientific notation when the decimal exponent is < -4 or >= 16.
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = String(Math.abs(exp)).padStart(2, '0');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Python float() for the strings a metric file can hold; undefined when it is not a float. */
export function parsePythonFloat(s: string): number | undefined {
  const t = s.trim().toLowerCase();
  const body = t.replace(/^[+-]/, '');
  const neg = t.startsWith('-');
  if (body === 'nan') return NaN;
  if (body === 'inf' || body === 'infinity') return neg ? -Infinity : Infinity;
  return DECIMAL.test(t) ? Number(t) : undefined;
}
