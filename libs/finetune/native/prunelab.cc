// prunelab native kernels: float32 matrix products (OpenBLAS cblas_sgemm, or a plain blocked loop when built
// without BLAS) and fused layer norm / GELU, computed in place in memory owned by JavaScript (the wasm heap of
// tfjs-backend-wasm). Every function takes that memory (an ArrayBuffer or typed array) first and offsets counted
// in float32 elements after it; JavaScript checks shapes and bounds before calling.
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#ifndef PRUNELAB_NO_BLAS
extern "C" {
void cblas_sgemm(int order, int transA, int transB, int M, int N, int K, float alpha, const float* A, int lda,
                 const float* B, int ldb, float beta, float* C, int ldc);
void openblas_set_num_threads(int n);
char* openblas_get_corename(void);
}
static const int kRowMajor = 101, kNoTrans = 111, kTrans = 112;
#endif

namespace {

struct Args {
  napi_env env;
  size_t argc = 24;
  napi_value argv[24];
  float* base = nullptr;
  size_t length = 0;  // in floats
  bool ok = true;
};

bool load(napi_env env, napi_callback_info info, Args& a) {
  a.env = env;
  napi_get_cb_info(env, info, &a.argc, a.argv, nullptr, nullptr);
  if (a.argc > 24) a.argc = 24;  // napi reports the count passed, but fills only what argv holds
  if (a.argc < 1) return false;
  bool isAb = false, isTa = false;
  napi_is_arraybuffer(env, a.argv[0], &isAb);
  void* data = nullptr;
  size_t bytes = 0;
  if (isAb) {
    napi_get_arraybuffer_info(env, a.argv[0], &data, &bytes);
  } else {
    napi_is_typedarray(env, a.argv[0], &isTa);
    if (!isTa) {
      napi_throw_type_error(env, nullptr, "prunelab native: first argument must be an ArrayBuffer or typed array");
      return false;
    }
    napi_typedarray_type t;
    size_t len = 0, off = 0;
    napi_value ab;
    napi_get_typedarray_info(env, a.argv[0], &t, &len, &data, &ab, &off);
    size_t el = (t == napi_float32_array || t == napi_int32_array || t == napi_uint32_array) ? 4 : 1;
    bytes = len * el;
  }
  a.base = static_cast<float*>(data);
  a.length = bytes / 4;
  return true;
}

double num(Args& a, size_t i) {
  double v = 0;
  napi_value n;
  // coerce, so booleans (transpose flags) read as 0/1
  if (i < a.argc && napi_coerce_to_number(a.env, a.argv[i], &n) == napi_ok) napi_get_value_double(a.env, n, &v);
  return v;
}

int64_t off(Args& a, size_t i) { return static_cast<int64_t>(num(a, i)); }

// C[M,N] = op(A) op(B) (+ C when accumulate): B is packed non-transposed so the inner loop runs over contiguous j.
// The fallback without BLAS (~14 GFLOP/s here; OpenBLAS reaches ~45 even on attention's 64x64 products).
[[maybe_unused]] void gemmLoop(bool tA, bool tB, int M, int N, int K, const float* A, const float* B, float* C, bool accumulate) {
  std::vector<float> packed;
  const float* Bp = B;
  if (tB) {
    packed.resize(static_cast<size_t>(K) * N);
    for (int n = 0; n < N; n++)
      for (int k = 0; k < K; k++) packed[static_cast<size_t>(k) * N + n] = B[static_cast<size_t>(n) * K + k];
    Bp = packed.data();
  }
  for (int i = 0; i < M; i++) {
    float* c = C + static_cast<size_t>(i) * N;
    if (!accumulate) std::memset(c, 0, sizeof(float) * N);
    for (int k = 0; k < K; k++) {
      const float av = tA ? A[static_cast<size_t>(k) * M + i] : A[static_cast<size_t>(i) * K + k];
      const float* b = Bp + static_cast<size_t>(k) * N;
      for (int j = 0; j < N; j++) c[j] += av * b[j];
    }
  }
}

#ifdef PRUNELAB_NO_BLAS
void gemm(bool tA, bool tB, int M, int N, int K, const float* A, const float* B, float* C, bool accumulate) {
  gemmLoop(tA, tB, M, N, K, A, B, C, accumulate);
}
#else
void gemm(bool tA, bool tB, int M, int N, int K, const float* A, const float* B, float* C, bool accumulate) {
  cblas_sgemm(kRowMajor, tA ? kTrans : kNoTrans, tB ? kTrans : kNoTrans, M, N, K, 1.0f, A, tA ? M : K, B,
              tB ? K : N, accumulate ? 1.0f : 0.0f, C, N);
}
#endif

// sgemm(mem, batch, M, N, K, transA, transB, aOff, aStride, bOff, bStride, cOff, biasOff)
// C_b = op(A_b) op(B_b) (+ bias[N] on every row when biasOff >= 0); a stride of 0 broadcasts that operand.
napi_value Sgemm(napi_env env, napi_callback_info info) {
  Args a;
  if (!load(env, info, a)) return nullptr;
  const int batch = static_cast<int>(num(a, 1)), M = static_cast<int>(num(a, 2)), N = static_cast<int>(num(a, 3)),
            K = static_cast<int>(num(a, 4));
  const bool tA = num(a, 5) != 0, tB = num(a, 6) != 0;
  const int64_t aOff = off(a, 7), aStride = off(a, 8), bOff = off(a, 9), bStride = off(a, 10), cOff = off(a, 11),
                biasOff = off(a, 12);
  float* base = a.base;
  for (int b = 0; b < batch; b++) {
    float* C = base + cOff + static_cast<int64_t>(b) * M * N;
    const bool bias = biasOff >= 0;
    if (bias)
      for (int i = 0; i < M; i++) std::memcpy(C + static_cast<int64_t>(i) * N, base + biasOff, sizeof(float) * N);
    if (K == 0) {
      if (!bias) std::memset(C, 0, sizeof(float) * M * N);
      continue;
    }
    gemm(tA, tB, M, N, K, base + aOff + b * aStride, base + bOff + b * bStride, C, bias);
  }
  return nullptr;
}

// Row reductions in 8 float lanes (vectorised), the lanes added in double: sum of x, of (x - c)^2, of x y.
inline double laneSum(const float* x, int64_t n) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; k++) lane[k] += x[j + k];
  double s = 0;
  for (int k = 0; k < 8; k++) s += lane[k];
  for (; j < n; j++) s += x[j];
  return s;
}

inline double laneSqDev(const float* x, float c, int64_t n) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; k++) lane[k] += (x[j + k] - c) * (x[j + k] - c);
  double s = 0;
  for (int k = 0; k < 8; k++) s += lane[k];
  for (; j < n; j++) s += static_cast<double>(x[j] - c) * (x[j] - c);
  return s;
}

inline double laneDot(const float* x, const float* y, int64_t n) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; k++) lane[k] += x[j + k] * y[j + k];
  double s = 0;
  for (int k = 0; k < 8; k++) s += lane[k];
  for (; j < n; j++) s += static_cast<double>(x[j]) * y[j];
  return s;
}

// layerNorm(mem, rows, cols, xOff, gOff, bOff, yOff, eps): y = (x - mean) / sqrt(var + eps) * g + b per row.
napi_value LayerNorm(napi_env env, napi_callback_info info) {
  Args a;
  if (!load(env, info, a)) return nullptr;
  const int64_t rows = off(a, 1), cols = off(a, 2);
  const float* x = a.base + off(a, 3);
  const float* g = a.base + off(a, 4);
  const float* be = a.base + off(a, 5);
  float* y = a.base + off(a, 6);
  const double eps = num(a, 7);
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float mean = static_cast<float>(laneSum(xr, cols) / cols);
    const float rstd = static_cast<float>(1.0 / std::sqrt(laneSqDev(xr, mean, cols) / cols + eps));
    for (int64_t j = 0; j < cols; j++) yr[j] = (xr[j] - mean) * rstd * g[j] + be[j];
  }
  return nullptr;
}

// layerNormGrad(mem, rows, cols, xOff, gOff, dyOff, dxOff, dgOff, dbOff, eps): the three gradients of layerNorm.
napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  Args a;
  if (!load(env, info, a)) return nullptr;
  const int64_t rows = off(a, 1), cols = off(a, 2);
  const float* x = a.base + off(a, 3);
  const float* g = a.base + off(a, 4);
  const float* dy = a.base + off(a, 5);
  float* dx = a.base + off(a, 6);
  float* dg = a.base + off(a, 7);
  float* db = a.base + off(a, 8);
  const double eps = num(a, 9);
  std::vector<double> sg(cols, 0.0), sb(cols, 0.0);
  std::vector<float> xhat(cols), gy(cols);
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    const float* dyr = dy + r * cols;
    float* dxr = dx + r * cols;
    const float mean = static_cast<float>(laneSum(xr, cols) / cols);
    const float rstd = static_cast<float>(1.0 / std::sqrt(laneSqDev(xr, mean, cols) / cols + eps));
    for (int64_t j = 0; j < cols; j++) {
      xhat[j] = (xr[j] - mean) * rstd;
      gy[j] = dyr[j] * g[j];
      sg[j] += dyr[j] * xhat[j];
      sb[j] += dyr[j];
    }
    const float a1 = static_cast<float>(laneSum(gy.data(), cols) / cols);
    const float a2 = static_cast<float>(laneDot(gy.data(), xhat.data(), cols) / cols);
    for (int64_t j = 0; j < cols; j++) dxr[j] = rstd * (gy[j] - a1 - xhat[j] * a2);
  }
  for (int64_t j = 0; j < cols; j++) {
    dg[j] = static_cast<float>(sg[j]);
    db[j] = static_cast<float>(sb[j]);
  }
  return nullptr;
}

// exp(x) for x <= 0 (Cephes' expf polynomial, ~1 ulp): plain arithmetic, so loops over it vectorise, which
// calls to the C library's expf do not (with -fno-trapping-math, which lets the clamp be a select).
inline float expNonPositive(float x) {
  x = x > -87.0f ? x : -87.0f;
  const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float m = x * 1.44269504088896341f + magic;
  const float n = m - magic;
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (__builtin_bit_cast(int32_t, m) - 0x4b400000 + 127) << 23;  // n + 127 in the exponent
  return p * __builtin_bit_cast(float, bits);
}

// erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), written so the compiler vectorises it.
inline float erfApprox(float x) {
  const float ax = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * ax);
  const float p = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  const float r = 1.0f - p * expNonPositive(-ax * ax);
  return std::copysign(r, x);
}

// gelu(mem, n, xOff, yOff): y = x/2 (1 + erf(x / sqrt 2)).
napi_value Gelu(napi_env env, napi_callback_info info) {
  Args a;
  if (!load(env, info, a)) return nullptr;
  const int64_t n = off(a, 1);
  const float* x = a.base + off(a, 2);
  float* y = a.base + off(a, 3);
  for (int64_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erfApprox(x[i] * 0.70710678118654752f));
  return nullptr;
}

// geluGrad(mem, n, xOff, dyOff, dxOff): dx = dy (Phi(x) + x phi(x)).
napi_value GeluGrad(napi_env env, napi_callback_info info) {
  Args a;
  if (!load(env, info, a)) return nullptr;
  const int64_t n = off(a, 1);
  const float* x = a.base + off(a, 2);
  const float* dy = a.base + off(a, 3);
  float* dx = a.base + off(a, 4);
  for (int64_t i = 0; i < n; i++) {
    const float xi = x[i];
    const float cdf = 0.5f * (1.0f + erfApprox(xi * 0.70710678118654752f));
    const float pdf = 0.39894228040143268f * expNonPositive(-0.5f * xi * xi);
    dx[i] = dy[i] * (cdf + xi * pdf);
  }
  return nullptr;
}

// binary(mem, op, n, aOff, aSize, bOff, bSize, outOff): out[i] = a[i % aSize] (op) b[i % bSize], op 0 add,
// 1 sub, 2 mul, 3 div. JavaScript passes only operands whose shape is a suffix of the output's (same shape,
// scalar, or a trailing-axes vector such as a bias), for which the modulo indexing is the broadcast.
template <class F>
void binaryLoop(F f, int64_t n, const float* a, int64_t as, const float* b, int64_t bs, float* o) {
  if (as == n && bs == n) {
    for (int64_t i = 0; i < n; i++) o[i] = f(a[i], b[i]);
  } else if (as == n && bs == 1) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; i++) o[i] = f(a[i], bv);
  } else if (as == 1 && bs == n) {
    const float av = a[0];
    for (int64_t i = 0; i < n; i++) o[i] = f(av, b[i]);
  } else if (as == n) {
    for (int64_t i0 = 0; i0 < n; i0 += bs)
      for (int64_t j = 0; j < bs; j++) o[i0 + j] = f(a[i0 + j], b[j]);
  } else if (bs == n) {
    for (int64_t i0 = 0; i0 < n; i0 += as)
      for (int64_t j = 0; j < as; j++) o[i0 + j] = f(a[j], b[i0 + j]);
  } else {
    for (int64_t i = 0; i < n; i++) o[i] = f(a[i % as], b[i % bs]);
  }
}

napi_value Binary(napi_env env, napi_callback_info info) {
  Args a;
  if (!load(env, info, a)) return nullptr;
  const int op = static_cast<int>(num(a, 1));
  const int64_t n = off(a, 2), as = off(a, 4), bs = off(a, 6);
  const float* x = a.base + off(a, 3);
  const float* y = a.base + off(a, 5);
  float* o = a.base + off(a, 7);
  switch (op) {
    case 0: binaryLoop([](float p, float q) { return p + q; }, n, x, as, y, bs, o); break;
    case 1: binaryLoop([](float p, float q) { return p - q; }, n, x, as, y, bs, o); break;
    case 2: binaryLoop([](float p, float q) { return p * q; }, n, x, as, y, bs, o); break;
    default: binaryLoop([](float p, float q) { return p / q; }, n, x, as, y, bs, o); break;
  }
  return nullptr;
}

// unary(mem, op, n, xOff, outOff): op 0 sqrt, 1 square.
// binaryRepeat(mem, op, n, aOff, bOff, bSize, repeat, outOff, bFirst): out[i] = a[i] (op) b[(i / repeat) % bSize]
// (operands swapped when bFirst): b broadcast along trailing axes, as softmax's gradient multiplies [.., T, 1]
// by [.., T, T].
template <class F>
void repeatLoop(F f, int64_t n, const float* a, const float* b, int64_t bs, int64_t rep, float* o, bool bFirst) {
  for (int64_t i0 = 0, k = 0; i0 < n; i0 += rep, k = (k + 1 == bs ? 0 : k + 1)) {
    const float bv = b[k];
    if (bFirst)
      for (int64_t j = 0; j < rep; j++) o[i0 + j] = f(bv, a[i0 + j]);
    else
      for (int64_t j = 0; j < rep; j++) o[i0 + j] = f(a[i0 + j], bv);
  }
}

napi_value BinaryRepeat(napi_env env, napi_callback_info info) {
  Args a;
  if (!load(env, info, a)) return nullptr;
  const int op = static_cast<int>(num(a, 1));
  const int64_t n = off(a, 2), bs = off(a, 5), rep = off(a, 6);
  const float* x = a.base + off(a, 3);
  const float* y = a.base + off(a, 4);
  float* o = a.base + off(a, 7);
  const bool bFirst = num(a, 8) != 0;
  switch (op) {
    case 0: repeatLoop([](float p, float q) { return p + q; }, n, x, y, bs, rep, o, bFirst); break;
    case 1: repeatLoop([](float p, float q) { return p - q; }, n, x, y, bs, rep, o, bFirst); break;
    case 2: repeatLoop([](float p, float q) { return p * q; }, n, x, y, bs, rep, o, bFirst); break;
    default: repeatLoop([](float p, float q) { return p / q; }, n, x, y, bs, rep, o, bFirst); break;
  }
  return nullptr;
}

napi_value Unary(napi_env env, napi_callback_info info) {
  Args a;
  if (!load(env, info, a)) return nullptr;
  const int op = static_cast<int>(num(a, 1));
  const int64_t n = off(a, 2);
  const float* x = a.base + off(a, 3);
  float* o = a.base + off(a, 4);
  if (op == 0)
    for (int64_t i = 0; i < n; i++) o[i] = std::sqrt(x[i]);
  else
    for (int64_t i = 0; i < n; i++) o[i] = x[i] * x[i];
  return nullptr;
}

// sumRows(mem, rows, cols, xOff, outOff): out[c] = sum over r of x[r, c] (a sum over leading axes), in double.
napi_value SumRows(napi_env env, napi_callback_info info) {
  Args a;
  if (!load(env, info, a)) return nullptr;
  const int64_t rows = off(a, 1), cols = off(a, 2);
  const float* x = a.base + off(a, 3);
  float* o = a.base + off(a, 4);
  if (cols == 1) {  // a total: 16 float lanes over blocks of 4096, each block's lanes added into a double
    double total = 0;
    for (int64_t r0 = 0; r0 < rows; r0 += 4096) {
      const int64_t r1 = r0 + 4096 < rows ? r0 + 4096 : rows;
      float lane[16] = {0};
      int64_t r = r0;
      for (; r + 16 <= r1; r += 16)
        for (int j = 0; j < 16; j++) lane[j] += x[r + j];
      for (; r < r1; r++) lane[0] += x[r];
      for (int j = 0; j < 16; j++) total += lane[j];
    }
    o[0] = static_cast<float>(total);
    return nullptr;
  }
  std::vector<double> acc(cols, 0.0);
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    for (int64_t c = 0; c < cols; c++) acc[c] += xr[c];
  }
  for (int64_t c = 0; c < cols; c++) o[c] = static_cast<float>(acc[c]);
  return nullptr;
}

// adamw(mem, n, pOff, mOff, vOff, gOff, pOut, mOut, vOut, scale, b1, 1-b1, b2, 1-b2, decay, sqrt(bc2), eps, lr/bc1)
// The AdamW update of adamw.ts' composition, element by element, with the same float32 constants and the
// same operation order (built with -ffp-contract=off: no FMAs), so it equals the tfjs kernels' result;
// decay = 1 - lr wd (1: none), scale = the gradient clipping factor (1: none). Outputs are fresh tensors, so no
// pointer aliases another (__restrict: without it there are too many overlap checks to vectorise).
void adamwLoop(int64_t n, const float* __restrict p, const float* __restrict m, const float* __restrict v,
               const float* __restrict g, float* __restrict po, float* __restrict mo, float* __restrict vo, float sc,
               float b1, float c1, float b2, float c2, float dc, float sbc2, float eps, float step) {
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i] * sc;
    const float mi = m[i] * b1 + gi * c1;
    const float vi = v[i] * b2 + (gi * gi) * c2;
    const float pi = p[i] * dc;
    const float denom = std::sqrt(vi) / sbc2 + eps;
    mo[i] = mi;
    vo[i] = vi;
    po[i] = pi - (mi / denom) * step;
  }
}

napi_value AdamW(napi_env env, napi_callback_info info) {
  Args a;
  if (!load(env, info, a)) return nullptr;
  const int64_t n = off(a, 1);
  const float* p = a.base + off(a, 2);
  const float* m = a.base + off(a, 3);
  const float* v = a.base + off(a, 4);
  const float* g = a.base + off(a, 5);
  float* po = a.base + off(a, 6);
  float* mo = a.base + off(a, 7);
  float* vo = a.base + off(a, 8);
  const float scale = static_cast<float>(num(a, 9)), b1 = static_cast<float>(num(a, 10)),
              c1 = static_cast<float>(num(a, 11)), b2 = static_cast<float>(num(a, 12)),
              c2 = static_cast<float>(num(a, 13)), decay = static_cast<float>(num(a, 14)),
              sbc2 = static_cast<float>(num(a, 15)), eps = static_cast<float>(num(a, 16)),
              step = static_cast<float>(num(a, 17));
  // Multiplying by exactly 1 changes no float, so "no clipping" and "no decay" need no branch.
  const float sc = num(a, 9) != 1 ? scale : 1.0f, dc = num(a, 14) != 1 ? decay : 1.0f;
  adamwLoop(n, p, m, v, g, po, mo, vo, sc, b1, c1, b2, c2, dc, sbc2, eps, step);
  return nullptr;
}

// dropoutMask(mem, n, rate, seed, outOff): layers.ts' dropoutMask (the same splitmix32 stream, bit for bit).
napi_value DropoutMask(napi_env env, napi_callback_info info) {
  Args a;
  if (!load(env, info, a)) return nullptr;
  const int64_t n = off(a, 1);
  const double rate = num(a, 2);
  const uint32_t seed = static_cast<uint32_t>(static_cast<int64_t>(num(a, 3)));
  float* o = a.base + off(a, 4);
  const float keep = static_cast<float>(1.0 / (1.0 - rate));
  const double threshold = rate * 4294967296.0;
  const uint32_t s0 = seed * 0x2c1b3c6du;
  for (int64_t i = 0; i < n; i++) {
    const uint32_t s = s0 + static_cast<uint32_t>(i + 1) * 0x9e3779b9u;
    uint32_t z = (s ^ (s >> 16)) * 0x85ebca6bu;
    z = (z ^ (z >> 13)) * 0xc2b2ae35u;
    z ^= z >> 16;
    o[i] = static_cast<double>(z) >= threshold ? keep : 0.0f;
  }
  return nullptr;
}

// sumSquares(mem, n, xOff): sum of x^2 over n floats, in double (for the global gradient norm).
napi_value SumSquares(napi_env env, napi_callback_info info) {
  Args a;
  if (!load(env, info, a)) return nullptr;
  const int64_t n = off(a, 1);
  const float* x = a.base + off(a, 2);
  double total = 0;
  for (int64_t i0 = 0; i0 < n; i0 += 4096) {  // 16 float lanes per block of 4096, blocks added in double
    const int64_t i1 = i0 + 4096 < n ? i0 + 4096 : n;
    float lane[16] = {0};
    int64_t i = i0;
    for (; i + 16 <= i1; i += 16)
      for (int j = 0; j < 16; j++) lane[j] += x[i + j] * x[i + j];
    for (; i < i1; i++) lane[0] += x[i] * x[i];
    for (int j = 0; j < 16; j++) total += lane[j];
  }
  napi_value out;
  napi_create_double(env, total, &out);
  return out;
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value out;
#ifdef PRUNELAB_NO_BLAS
  napi_create_string_utf8(env, "loop", NAPI_AUTO_LENGTH, &out);
#else
  std::string s = std::string("openblas:") + openblas_get_corename();
  napi_create_string_utf8(env, s.c_str(), NAPI_AUTO_LENGTH, &out);
#endif
  return out;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a;
  a.env = env;
  napi_get_cb_info(env, info, &a.argc, a.argv, nullptr, nullptr);
#ifndef PRUNELAB_NO_BLAS
  openblas_set_num_threads(static_cast<int>(num(a, 0)));
#endif
  return nullptr;
}

}  // namespace

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"sgemm", nullptr, Sgemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerNorm", nullptr, LayerNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerNormGrad", nullptr, LayerNormGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gelu", nullptr, Gelu, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"geluGrad", nullptr, GeluGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binaryRepeat", nullptr, BinaryRepeat, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumRows", nullptr, SumRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamw", nullptr, AdamW, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dropoutMask", nullptr, DropoutMask, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumSquares", nullptr, SumSquares, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
