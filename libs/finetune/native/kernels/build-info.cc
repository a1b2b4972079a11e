// What this build is: info() "openblas:<core>" or "loop" (the sgemm it runs), threads() the BLAS threads (1 for
// the loop), setThreads(n) sets them (1 <= n <= 1024; nothing to set in the loop build).
#include <string>

#include "../args.h"
#include "../blas.h"

namespace prunelab {

napi_value Info(napi_env env, napi_callback_info info) {
  Args a(env, info, "info", 0, false);
  if (!a.ok()) return nullptr;
  napi_value out;
#ifdef PRUNELAB_NO_BLAS
  napi_create_string_utf8(env, "loop", NAPI_AUTO_LENGTH, &out);
#else
  const std::string s = std::string("openblas:") + openblas_get_corename();
  napi_create_string_utf8(env, s.c_str(), NAPI_AUTO_LENGTH, &out);
#endif
  return out;
}

napi_value Threads(napi_env env, napi_callback_info info) {
  Args a(env, info, "threads", 0, false);
  if (!a.ok()) return nullptr;
  napi_value out;
#ifdef PRUNELAB_NO_BLAS
  napi_create_int32(env, 1, &out);
#else
  napi_create_int32(env, openblas_get_num_threads(), &out);
#endif
  return out;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a(env, info, "setThreads", 1, false);
  [[maybe_unused]] const int n = static_cast<int>(a.integer(0, "n", 1, 1024));
  if (!a.ok()) return nullptr;
#ifndef PRUNELAB_NO_BLAS
  openblas_set_num_threads(n);
#endif
  return nullptr;
}

}  // namespace prunelab
