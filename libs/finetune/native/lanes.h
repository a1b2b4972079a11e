// Row reductions in 8 float lanes (vectorised), the lanes added in double: sum of x, of (x - c)^2, of x y.
// The tail (n % 8 elements) is added in double after the lanes. Shared by layer norm's forward and backward.
#pragma once

#include <cstdint>

namespace prunelab {

inline double laneSum(const float* x, int64_t n) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; k++) lane[k] += x[j + k];
  double s = 0;
  for (int k = 0; k < 8; k++) s += lane[k];
  for (; j < n; j++) s += x[j];
  return s;
}

inline double laneSqDev(const float* x, float c, int64_t n) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; k++) lane[k] += (x[j + k] - c) * (x[j + k] - c);
  double s = 0;
  for (int k = 0; k < 8; k++) s += lane[k];
  for (; j < n; j++) s += static_cast<double>(x[j] - c) * (x[j] - c);
  return s;
}

inline double laneDot(const float* x, const float* y, int64_t n) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; k++) lane[k] += x[j + k] * y[j + k];
  double s = 0;
  for (int k = 0; k < 8; k++) s += lane[k];
  for (; j < n; j++) s += static_cast<double>(x[j]) * y[j];
  return s;
}

}  // namespace prunelab
