// prunelab native kernels: float32 kernels computed in place in memory owned by JavaScript (the wasm heap of
// tfjs-backend-wasm), one per file in kernels/, each checking its arguments against that memory (args.h) before
// it reads or writes. This file registers them: one row per kernel.
#include <node_api.h>

#include <cstddef>

namespace prunelab {
napi_value Sgemm(napi_env, napi_callback_info);
napi_value LayerNorm(napi_env, napi_callback_info);
napi_value LayerNormGrad(napi_env, napi_callback_info);
napi_value Gelu(napi_env, napi_callback_info);
napi_value GeluGrad(napi_env, napi_callback_info);
napi_value Binary(napi_env, napi_callback_info);
napi_value BinaryRepeat(napi_env, napi_callback_info);
napi_value Unary(napi_env, napi_callback_info);
napi_value SumRows(napi_env, napi_callback_info);
napi_value AdamW(napi_env, napi_callback_info);
napi_value DropoutMask(napi_env, napi_callback_info);
napi_value SumSquares(napi_env, napi_callback_info);
napi_value Info(napi_env, napi_callback_info);
napi_value Threads(napi_env, napi_callback_info);
napi_value SetThreads(napi_env, napi_callback_info);
}  // namespace prunelab

namespace {

struct Kernel {
  const char* name;
  napi_callback fn;
};

constexpr Kernel kKernels[] = {
    {"sgemm", prunelab::Sgemm},
    {"layerNorm", prunelab::LayerNorm},
    {"layerNormGrad", prunelab::LayerNormGrad},
    {"gelu", prunelab::Gelu},
    {"geluGrad", prunelab::GeluGrad},
    {"binary", prunelab::Binary},
    {"binaryRepeat", prunelab::BinaryRepeat},
    {"unary", prunelab::Unary},
    {"sumRows", prunelab::SumRows},
    {"adamw", prunelab::AdamW},
    {"dropoutMask", prunelab::DropoutMask},
    {"sumSquares", prunelab::SumSquares},
    {"info", prunelab::Info},
    {"threads", prunelab::Threads},
    {"setThreads", prunelab::SetThreads},
};

}  // namespace

NAPI_MODULE_INIT() {
  constexpr size_t count = sizeof(kKernels) / sizeof(kKernels[0]);
  napi_property_descriptor props[count];
  for (size_t i = 0; i < count; i++)
    props[i] = {kKernels[i].name, nullptr, kKernels[i].fn, nullptr, nullptr, nullptr, napi_default, nullptr};
  napi_define_properties(env, exports, count, props);
  return exports;
}
