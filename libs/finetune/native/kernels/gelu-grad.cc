// geluGrad(mem, n, xOff, dyOff, dxOff): dx = dy (Phi(x) + x phi(x)) over n floats.
#include "../args.h"
#include "../erf.h"

namespace prunelab {

napi_value GeluGrad(napi_env env, napi_callback_info info) {
  Args a(env, info, "geluGrad", 5);
  const int64_t n = a.count(1, "n");
  const float* x = a.span(2, "xOff", n, "n");
  const float* dy = a.span(3, "dyOff", n, "n");
  float* dx = a.span(4, "dxOff", n, "n");
  if (!a.ok()) return nullptr;
  for (int64_t i = 0; i < n; i++) {
    const float xi = x[i];
    const float cdf = 0.5f * (1.0f + erfApprox(xi * 0.70710678118654752f));
    const float pdf = 0.39894228040143268f * expNonPositive(-0.5f * xi * xi);
    dx[i] = dy[i] * (cdf + xi * pdf);
  }
  return nullptr;
}

}  // namespace prunelab
