// layerNorm(mem, rows, cols, xOff, gOff, bOff, yOff, eps): y = (x - mean) / sqrt(var + eps) * g + b per row of
// x[rows, cols]; g and b hold cols floats.
#include <cmath>

#include "../args.h"
#include "../lanes.h"

namespace prunelab {

napi_value LayerNorm(napi_env env, napi_callback_info info) {
  Args a(env, info, "layerNorm", 8);
  const int64_t rows = a.count(1, "rows"), cols = a.count(2, "cols");
  const u128 size = static_cast<u128>(rows) * static_cast<u128>(cols);
  const float* x = a.span(3, "xOff", size, "rows*cols");
  const float* g = a.span(4, "gOff", cols, "cols");
  const float* be = a.span(5, "bOff", cols, "cols");
  float* y = a.span(6, "yOff", size, "rows*cols");
  const double eps = a.number(7, "eps");
  if (!a.ok()) return nullptr;
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float mean = static_cast<float>(laneSum(xr, cols) / cols);
    const float rstd = static_cast<float>(1.0 / std::sqrt(laneSqDev(xr, mean, cols) / cols + eps));
    for (int64_t j = 0; j < cols; j++) yr[j] = (xr[j] - mean) * rstd * g[j] + be[j];
  }
  return nullptr;
}

}  // namespace prunelab
