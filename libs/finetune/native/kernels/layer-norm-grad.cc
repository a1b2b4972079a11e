// layerNormGrad(mem, rows, cols, xOff, gOff, dyOff, dxOff, dgOff, dbOff, eps): the gradients of layerNorm
// with respect to x (rows*cols floats), g and b (cols floats each, summed over the rows in double).
#include <cmath>
#include <vector>

#include "../args.h"
#include "../lanes.h"

namespace prunelab {

napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  Args a(env, info, "layerNormGrad", 10);
  const int64_t rows = a.count(1, "rows"), cols = a.count(2, "cols");
  const u128 size = static_cast<u128>(rows) * static_cast<u128>(cols);
  const float* x = a.span(3, "xOff", size, "rows*cols");
  const float* g = a.span(4, "gOff", cols, "cols");
  const float* dy = a.span(5, "dyOff", size, "rows*cols");
  float* dx = a.span(6, "dxOff", size, "rows*cols");
  float* dg = a.span(7, "dgOff", cols, "cols");
  float* db = a.span(8, "dbOff", cols, "cols");
  const double eps = a.number(9, "eps");
  if (!a.ok()) return nullptr;
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

}  // namespace prunelab
