// The elementwise operations, by op code: the index into kBinaryOps (binary, binaryRepeat) and kUnaryOps (unary).
// JavaScript's codes are BINARY_OP / UNARY_OP in src/kernels-native.ts; an unknown code throws a RangeError.
#pragma once

#include <cmath>

namespace prunelab {

struct Add { static float apply(float p, float q) { return p + q; } };
struct Sub { static float apply(float p, float q) { return p - q; } };
struct Mul { static float apply(float p, float q) { return p * q; } };
struct Div { static float apply(float p, float q) { return p / q; } };

// Builds a kernel's table of loops, one per binary op, in code order.
template <template <class> class Loop>
struct BinaryOps {
  static constexpr decltype(&Loop<Add>::run) table[] = {&Loop<Add>::run, &Loop<Sub>::run, &Loop<Mul>::run,
                                                        &Loop<Div>::run};
  static constexpr int count = sizeof(table) / sizeof(table[0]);
};
constexpr const char* kBinaryCodes = "0 add, 1 sub, 2 mul, 3 div";

struct Sqrt { static float apply(float x) { return std::sqrt(x); } };
struct Square { static float apply(float x) { return x * x; } };
constexpr const char* kUnaryCodes = "0 sqrt, 1 square";

}  // namespace prunelab
