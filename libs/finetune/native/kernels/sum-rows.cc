// sumRows(mem, rows, cols, xOff, outOff): out[c] = sum over r of x[r, c] (a sum over leading axes), in double.
#include <cstdint>
#include <vector>

#include "../args.h"

namespace prunelab {

napi_value SumRows(napi_env env, napi_callback_info info) {
  Args a(env, info, "sumRows", 5);
  const int64_t rows = a.count(1, "rows"), cols = a.count(2, "cols");
  const float* x = a.span(3, "xOff", static_cast<u128>(rows) * static_cast<u128>(cols), "rows*cols");
  float* o = a.span(4, "outOff", cols, "cols");
  if (!a.ok()) return nullptr;
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

}  // namespace prunelab
