// Float exp and erf as plain arithmetic, so the loops of GELU's forward and backward vectorise (calls to the C
// library's expf do not; -fno-trapping-math lets the clamp be a select).
#pragma once

#include <cmath>
#include <cstdint>

namespace prunelab {

// exp(x) for x <= 0 (Cephes' expf polynomial, ~1 ulp).
inline float expNonPositive(float x) {
  x = x > -87.0f ? x : -87.0f;
  const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float m = x * 1.44269504088896341f + magic;
  const float n = m - magic;
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (__builtin_bit_cast(int32_t, m) - 0x4b400000 + 127) << 23;  // n + 127 in the exponent
  return p * __builtin_bit_cast(float, bits);
}

// erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
inline float erfApprox(float x) {
  const float ax = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * ax);
  const float p =
      t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  const float r = 1.0f - p * expNonPositive(-ax * ax);
  return std::copysign(r, x);
}

}  // namespace prunelab
