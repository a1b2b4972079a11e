// unary(mem, op, n, xOff, outOff): out[i] = op(x[i]) for i < n, op codes in ../ops.h (0 sqrt, 1 square).
#include <cstdint>

#include "../args.h"
#include "../ops.h"

namespace prunelab {

namespace {

template <class Op>
void unaryLoop(int64_t n, const float* x, float* o) {
  for (int64_t i = 0; i < n; i++) o[i] = Op::apply(x[i]);
}

constexpr void (*kUnaryOps[])(int64_t, const float*, float*) = {unaryLoop<Sqrt>, unaryLoop<Square>};

}  // namespace

napi_value Unary(napi_env env, napi_callback_info info) {
  Args a(env, info, "unary", 5);
  const int op = a.op(1, sizeof(kUnaryOps) / sizeof(kUnaryOps[0]), kUnaryCodes);
  const int64_t n = a.count(2, "n");
  const float* x = a.span(3, "xOff", n, "n");
  float* o = a.span(4, "outOff", n, "n");
  if (!a.ok()) return nullptr;
  kUnaryOps[op](n, x, o);
  return nullptr;
}

}  // namespace prunelab
