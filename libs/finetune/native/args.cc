#include "args.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <string>

namespace prunelab {

namespace {

// Bytes per element of each napi_typedarray_type, in the enum's order.
constexpr size_t kElementBytes[] = {1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8};

const char* typeName(napi_valuetype t) {
  static const char* const names[] = {"undefined", "null", "boolean", "number", "string", "symbol", "object",
                                      "function", "external", "bigint"};
  return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

std::string decimal(u128 v) {
  std::string s;
  do {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v);
  return s;
}

void vthrow(napi_env env, bool range, const char* kernel, const char* fmt, va_list ap) {
  char body[400];
  vsnprintf(body, sizeof body, fmt, ap);
  const std::string msg = std::string("prunelab native ") + kernel + ": " + body;
  if (range)
    napi_throw_range_error(env, nullptr, msg.c_str());
  else
    napi_throw_type_error(env, nullptr, msg.c_str());
}

}  // namespace

Args::Args(napi_env env, napi_callback_info info, const char* kernel, size_t argc, bool memory)
    : env_(env), kernel_(kernel) {
  napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr);
  if (argc_ != argc) {
    typeError("takes %zu arguments, got %zu", argc, argc_);
    return;
  }
  if (!memory) return;
  bool isAb = false, isTa = false;
  void* data = nullptr;
  size_t bytes = 0;
  napi_is_arraybuffer(env, argv_[0], &isAb);
  if (isAb) {
    napi_get_arraybuffer_info(env, argv_[0], &data, &bytes);
  } else {
    napi_is_typedarray(env, argv_[0], &isTa);
    if (!isTa) {
      typeError("the first argument (the memory) must be an ArrayBuffer or a typed array");
      return;
    }
    napi_typedarray_type t;
    size_t len = 0, off = 0;
    napi_value ab;
    napi_get_typedarray_info(env, argv_[0], &t, &len, &data, &ab, &off);  // data is the view's start
    const size_t el = static_cast<size_t>(t) < sizeof(kElementBytes) / sizeof(kElementBytes[0]) ? kElementBytes[t] : 1;
    bytes = len * el;
    if (off % 4 != 0) {
      rangeError("the memory's typed array starts at byte %zu, not a multiple of 4 (floats need 4-byte alignment)",
                 off);
      return;
    }
  }
  base_ = static_cast<float*>(data);
  floats_ = bytes / 4;
}

void Args::rangeError(const char* fmt, ...) {
  if (!ok_) return;
  ok_ = false;
  va_list ap;
  va_start(ap, fmt);
  vthrow(env_, true, kernel_, fmt, ap);
  va_end(ap);
}

void Args::typeError(const char* fmt, ...) {
  if (!ok_) return;
  ok_ = false;
  va_list ap;
  va_start(ap, fmt);
  vthrow(env_, false, kernel_, fmt, ap);
  va_end(ap);
}

bool Args::read(size_t i, const char* name, double& v) {
  if (!ok_) return false;
  if (i >= argc_) {
    typeError("argument %zu (%s) is missing", i, name);
    return false;
  }
  napi_valuetype t = napi_undefined;
  napi_typeof(env_, argv_[i], &t);
  if (t != napi_number) {
    typeError("%s must be a number, got %s", name, typeName(t));
    return false;
  }
  napi_get_value_double(env_, argv_[i], &v);
  return true;
}

double Args::number(size_t i, const char* name) {
  double v = 0;
  return read(i, name, v) ? v : 0;
}

int64_t Args::integer(size_t i, const char* name, int64_t lo, int64_t hi) {
  double v = 0;
  if (!read(i, name, v)) return lo > 0 ? lo : (hi < 0 ? hi : 0);
  // NaN fails every comparison, so it lands here too
  if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi)) || v != std::floor(v)) {
    rangeError("%s must be an integer in [%lld, %lld], got %.17g", name, static_cast<long long>(lo),
               static_cast<long long>(hi), v);
    return lo > 0 ? lo : (hi < 0 ? hi : 0);
  }
  return static_cast<int64_t>(v);
}

int64_t Args::count(size_t i, const char* name, int64_t max) { return integer(i, name, 0, max); }

int Args::op(size_t i, int n, const char* codes) {
  double v = 0;
  if (!read(i, "op", v)) return 0;
  if (!(v >= 0 && v < n) || v != std::floor(v)) {
    rangeError("unknown op %.17g (the ops are %s)", v, codes);
    return 0;
  }
  return static_cast<int>(v);
}

bool Args::flag(size_t i, const char* name) {
  if (!ok_) return false;
  if (i >= argc_) {
    typeError("argument %zu (%s) is missing", i, name);
    return false;
  }
  napi_valuetype t = napi_undefined;
  napi_typeof(env_, argv_[i], &t);
  if (t == napi_boolean) {
    bool b = false;
    napi_get_value_bool(env_, argv_[i], &b);
    return b;
  }
  if (t != napi_number) {
    typeError("%s must be a boolean (or 0/1), got %s", name, typeName(t));
    return false;
  }
  const int64_t v = integer(i, name, 0, 1);
  return v != 0;
}

float* Args::span(size_t i, const char* name, u128 floats, const char* extent) {
  const int64_t off = count(i, name);
  if (!ok_) return base_;
  const u128 end = static_cast<u128>(off) + floats;
  if (end > floats_) {
    rangeError("%s %lld + %s %s = %s floats runs past the end of the memory (%zu floats)", name,
               static_cast<long long>(off), extent, decimal(floats).c_str(), decimal(end).c_str(), floats_);
    return base_;
  }
  return base_ + off;
}

float* Args::optionalSpan(size_t i, const char* name, u128 floats, const char* extent) {
  double v = 0;
  if (!read(i, name, v)) return nullptr;
  return v == -1 ? nullptr : span(i, name, floats, extent);
}

}  // namespace prunelab
