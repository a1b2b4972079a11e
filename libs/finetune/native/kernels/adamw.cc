// adamw(mem, n, pOff, mOff, vOff, gOff, pOut, mOut, vOut, scale, b1, 1-b1, b2, 1-b2, decay, sqrt(bc2), eps, lr/bc1)
// The AdamW update of adamw.ts' composition, element by element over n floats, with the same float32 constants
// and the same operation order (built with -ffp-contract=off: no FMAs), so it equals the tfjs kernels' result;
// decay = 1 - lr wd (1: none), scale = the gradient clipping factor (1: none).
#include <cmath>
#include <cstdint>

#include "../args.h"

namespace prunelab {

namespace {

// Outputs are fresh tensors, so no pointer aliases another (__restrict: without it there are too many overlap
// checks to vectorise).
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

}  // namespace

napi_value AdamW(napi_env env, napi_callback_info info) {
  Args a(env, info, "adamw", 18);
  const int64_t n = a.count(1, "n");
  const float* p = a.span(2, "pOff", n, "n");
  const float* m = a.span(3, "mOff", n, "n");
  const float* v = a.span(4, "vOff", n, "n");
  const float* g = a.span(5, "gOff", n, "n");
  float* po = a.span(6, "pOut", n, "n");
  float* mo = a.span(7, "mOut", n, "n");
  float* vo = a.span(8, "vOut", n, "n");
  const double scale = a.number(9, "scale"), decay = a.number(14, "decay");
  const float b1 = static_cast<float>(a.number(10, "b1")), c1 = static_cast<float>(a.number(11, "1-b1")),
              b2 = static_cast<float>(a.number(12, "b2")), c2 = static_cast<float>(a.number(13, "1-b2")),
              sbc2 = static_cast<float>(a.number(15, "sqrtBc2")), eps = static_cast<float>(a.number(16, "eps")),
              step = static_cast<float>(a.number(17, "step"));
  if (!a.ok()) return nullptr;
  // Multiplying by exactly 1 changes no float, so "no clipping" and "no decay" need no branch.
  const float sc = scale != 1 ? static_cast<float>(scale) : 1.0f, dc = decay != 1 ? static_cast<float>(decay) : 1.0f;
  adamwLoop(n, p, m, v, g, po, mo, vo, sc, b1, c1, b2, c2, dc, sbc2, eps, step);
  return nullptr;
}

}  // namespace prunelab
