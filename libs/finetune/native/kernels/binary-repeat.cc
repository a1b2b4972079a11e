// binaryRepeat(mem, op, n, aOff, bOff, bSize, repeat, outOff, bFirst): out[i] = a[i] (op) b[(i / repeat) % bSize]
// for i < n (operands swapped when bFirst), op codes in ../ops.h: b broadcast along trailing axes, as softmax's
// gradient multiplies [.., T, 1] by [.., T, T]. repeat must divide n.
#include <cstdint>

#include "../args.h"
#include "../ops.h"

namespace prunelab {

namespace {

template <class Op>
struct RepeatLoop {
  static void run(int64_t n, const float* a, const float* b, int64_t bs, int64_t rep, float* o, bool bFirst) {
    for (int64_t i0 = 0, k = 0; i0 < n; i0 += rep, k = (k + 1 == bs ? 0 : k + 1)) {
      const float bv = b[k];
      if (bFirst)
        for (int64_t j = 0; j < rep; j++) o[i0 + j] = Op::apply(bv, a[i0 + j]);
      else
        for (int64_t j = 0; j < rep; j++) o[i0 + j] = Op::apply(a[i0 + j], bv);
    }
  }
};

}  // namespace

napi_value BinaryRepeat(napi_env env, napi_callback_info info) {
  using Ops = BinaryOps<RepeatLoop>;
  Args a(env, info, "binaryRepeat", 9);
  const int op = a.op(1, Ops::count, kBinaryCodes);
  const int64_t n = a.count(2, "n");
  const int64_t least = n > 0 ? 1 : 0;  // a repeat of 0 would never advance; a bSize of 0 has nothing to read
  const int64_t bs = a.integer(5, "bSize", least, kMaxSafe), rep = a.integer(6, "repeat", least, kMaxSafe);
  if (a.ok() && n > 0 && n % rep != 0)
    a.rangeError("repeat %lld does not divide n %lld", static_cast<long long>(rep), static_cast<long long>(n));
  const float* x = a.span(3, "aOff", n, "n");
  const float* y = a.span(4, "bOff", bs, "bSize");
  float* o = a.span(7, "outOff", n, "n");
  const bool bFirst = a.flag(8, "bFirst");
  if (!a.ok()) return nullptr;
  Ops::table[op](n, x, y, bs, rep, o, bFirst);
  return nullptr;
}

}  // namespace prunelab
