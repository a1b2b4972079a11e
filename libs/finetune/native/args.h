// Reading a kernel's arguments: the memory first (an ArrayBuffer or typed array: the wasm heap of
// tfjs-backend-wasm), then numbers; offsets and sizes count float32 elements. Every read checks its argument once
// per call: a bad one throws a JS error naming the kernel and the argument (TypeError: wrong count or type;
// RangeError: negative, not an integer, an unknown op code, or a span past the end of the memory) and turns ok()
// false, after which the other reads return harmless values and the kernel returns without touching memory.
#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>

namespace prunelab {

// Spans such as off + (batch-1)*stride + M*K are products of up to three numbers < 2^53: 128 bits hold them.
using u128 = unsigned __int128;

constexpr int64_t kMaxSafe = (int64_t{1} << 53) - 1;  // Number.MAX_SAFE_INTEGER
constexpr int64_t kMaxInt = 2147483647;                // what BLAS' int arguments hold

class Args {
 public:
  // argc: how many arguments the kernel takes (the memory included when `memory`).
  Args(napi_env env, napi_callback_info info, const char* kernel, size_t argc, bool memory = true);

  bool ok() const { return ok_; }
  napi_env env() const { return env_; }

  // An integer in [0, max].
  int64_t count(size_t i, const char* name, int64_t max = kMaxSafe);
  // An integer in [lo, hi].
  int64_t integer(size_t i, const char* name, int64_t lo, int64_t hi);
  // An op code in [0, n); `codes` lists them for the message ("0 add, 1 sub").
  int op(size_t i, int n, const char* codes);
  // A boolean, or the number 0 or 1.
  bool flag(size_t i, const char* name);
  // Any number.
  double number(size_t i, const char* name);
  // The offset in argument i, where `floats` floats must fit before the end of the memory; `extent` says how
  // the caller sized them ("rows*cols"), for the message.
  float* span(size_t i, const char* name, u128 floats, const char* extent);
  // Like span, but -1 means "none" (nullptr).
  float* optionalSpan(size_t i, const char* name, u128 floats, const char* extent);

  // Throw a RangeError "prunelab native <kernel>: <message>" (once: later failures are dropped).
  void rangeError(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void typeError(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

 private:
  bool read(size_t i, const char* name, double& v);
  napi_env env_;
  const char* kernel_;
  size_t argc_ = 24;
  napi_value argv_[24];
  float* base_ = nullptr;
  size_t floats_ = 0;  // the memory's length in floats
  bool ok_ = true;
};

}  // namespace prunelab
