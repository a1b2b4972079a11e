// binary(mem, op, n, aOff, aSize, bOff, bSize, outOff): out[i] = a[i % aSize] (op) b[i % bSize] for i < n, op
// codes in ../ops.h. JavaScript passes operands whose shape is a suffix of the output's (same shape, scalar, or
// a trailing-axes vector such as a bias), for which the modulo indexing is the broadcast; the loops below are
// that indexing without the modulo for the cases where a size divides n.
#include <cstdint>

#include "../args.h"
#include "../ops.h"

namespace prunelab {

namespace {

template <class Op>
struct BinaryLoop {
  static void run(int64_t n, const float* a, int64_t as, const float* b, int64_t bs, float* o) {
    if (as == n && bs == n) {
      for (int64_t i = 0; i < n; i++) o[i] = Op::apply(a[i], b[i]);
    } else if (as == n && bs == 1) {
      const float bv = b[0];
      for (int64_t i = 0; i < n; i++) o[i] = Op::apply(a[i], bv);
    } else if (as == 1 && bs == n) {
      const float av = a[0];
      for (int64_t i = 0; i < n; i++) o[i] = Op::apply(av, b[i]);
    } else if (as == n && n % bs == 0) {
      for (int64_t i0 = 0; i0 < n; i0 += bs)
        for (int64_t j = 0; j < bs; j++) o[i0 + j] = Op::apply(a[i0 + j], b[j]);
    } else if (bs == n && n % as == 0) {
      for (int64_t i0 = 0; i0 < n; i0 += as)
        for (int64_t j = 0; j < as; j++) o[i0 + j] = Op::apply(a[j], b[i0 + j]);
    } else {
      for (int64_t i = 0; i < n; i++) o[i] = Op::apply(a[i % as], b[i % bs]);
    }
  }
};

}  // namespace

napi_value Binary(napi_env env, napi_callback_info info) {
  using Ops = BinaryOps<BinaryLoop>;
  Args a(env, info, "binary", 8);
  const int op = a.op(1, Ops::count, kBinaryCodes);
  const int64_t n = a.count(2, "n");
  // an operand of size 0 has no element to broadcast: allowed only for an empty output
  const int64_t least = n > 0 ? 1 : 0;
  const int64_t as = a.integer(4, "aSize", least, kMaxSafe), bs = a.integer(6, "bSize", least, kMaxSafe);
  const float* x = a.span(3, "aOff", as, "aSize");
  const float* y = a.span(5, "bOff", bs, "bSize");
  float* o = a.span(7, "outOff", n, "n");
  if (!a.ok()) return nullptr;
  Ops::table[op](n, x, as, y, bs, o);
  return nullptr;
}

}  // namespace prunelab
