// sumSquares(mem, n, xOff): the sum of x^2 over n floats, in double (for the global gradient norm).
#include <cstdint>

#include "../args.h"

namespace prunelab {

napi_value SumSquares(napi_env env, napi_callback_info info) {
  Args a(env, info, "sumSquares", 3);
  const int64_t n = a.count(1, "n");
  const float* x = a.span(2, "xOff", n, "n");
  if (!a.ok()) return nullptr;
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

}  // namespace prunelab
