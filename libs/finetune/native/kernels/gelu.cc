// gelu(mem, n, xOff, yOff): y = x/2 (1 + erf(x / sqrt 2)) over n floats.
#include "../args.h"
#include "../erf.h"

namespace prunelab {

napi_value Gelu(napi_env env, napi_callback_info info) {
  Args a(env, info, "gelu", 4);
  const int64_t n = a.count(1, "n");
  const float* x = a.span(2, "xOff", n, "n");
  float* y = a.span(3, "yOff", n, "n");
  if (!a.ok()) return nullptr;
  for (int64_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erfApprox(x[i] * 0.70710678118654752f));
  return nullptr;
}

}  // namespace prunelab
