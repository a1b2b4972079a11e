// Linear CKA (Kornblith et al. 2019): how alike two representations of the same n examples are, whatever their
// widths. With the centred Gram matrices K = Xc Xc^T and L = Yc Yc^T,
//   CKA(X, Y) = <K, L>_F / (||K||_F ||L||_F),
// which equals ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F). It is 1 for X with itself and does not change under
// an orthogonal transform or an isotropic scaling of either. Grams are kept so that a representation can be saved
// (n x n, whatever its width) and compared later.

/** K = X X^T of row-major x [n, d], in float64. */
export function gram(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += x[i * d + t]! * x[j * d + t]!;
      k[i * n + j] = s;
      k[j * n + i] = s;
    }
  }
  return k;
}

/** H K H with H = I - 11^T / n: the Gram of the column-centred representation. */
export function centreGram(k: ArrayLike<number>, n: number): Float64Array {
  const row = new Float64Array(n);
  let all = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) row[i]! += k[i * n + j]!;
    all += row[i]!;
    row[i]! /= n;
  }
  all /= n * n;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = k[i * n + j]! - row[i]! - row[j]! + all;
  return out;
}

/** CKA from two (uncentred) Grams of the same n examples; NaN when either representation is constant. */
export function gramCka(k: ArrayLike<number>, l: ArrayLike<number>, n: number): number {
  if (k.length !== n * n || l.length !== n * n) throw new Error(`gramCka: Grams of ${n} x ${n} expected`);
  const kc = centreGram(k, n);
  const lc = centreGram(l, n);
  let kl = 0;
  let kk = 0;
  let ll = 0;
  for (let i = 0; i < n * n; i++) {
    kl += kc[i]! * lc[i]!;
    kk += kc[i]! * kc[i]!;
    ll += lc[i]! * lc[i]!;
  }
  return kk > 0 && ll > 0 ? kl / Math.sqrt(kk * ll) : NaN;
}

/** CKA of x [n, dx] and y [n, dy] (row-major, rows the same examples). */
export function linearCka(x: ArrayLike<number>, y: ArrayLike<number>, n: number, dx: number, dy: number): number {
  return gramCka(gram(x, n, dx), gram(y, n, dy), n);
}
