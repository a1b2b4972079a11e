// dropoutMask(mem, n, rate, seed, outOff): layers.ts' dropoutMask over n floats (the same splitmix32 stream, bit
// for bit): 1 / (1 - rate) where kept, 0 where dropped.
#include <cstdint>

#include "../args.h"

namespace prunelab {

napi_value DropoutMask(napi_env env, napi_callback_info info) {
  Args a(env, info, "dropoutMask", 5);
  const int64_t n = a.count(1, "n");
  const double rate = a.number(2, "rate");
  // any safe integer, taken modulo 2^32 as JavaScript's seed >>> 0 does
  const uint32_t seed = static_cast<uint32_t>(a.integer(3, "seed", -kMaxSafe, kMaxSafe));
  float* o = a.span(4, "outOff", n, "n");
  if (!a.ok()) return nullptr;
  const float keep = static_cast<float>(1.0 / (1.0 - rate));
  const double threshold = rate * 4294967296.0;
  const uint32_t s0 = seed * 0x2c1b3c6du;
  for (int64_t i = 0; i < n; i++) {
    const uint32_t s = s0 + static_cast<uint32_t>(i + 1) * 0x9e3779b9u;
    uint32_t z = (s ^ (s >> 16)) * 0x85ebca6bu;
    z = (z ^ (z >> 13)) * 0xc2b2ae35u;
    z ^= z >> 16;
    o[i] = static_cast<double>(z) >= threshold ? keep : 0.0f;
  }
  return nullptr;
}

}  // namespace prunelab
