// sgemm(mem, batch, M, N, K, transA, transB, aOff, aStride, bOff, bStride, cOff, biasOff)
// C_b = op(A_b) op(B_b) (+ bias[N] on every row when biasOff != -1) for b < batch; entry b of A starts at
// aOff + b*aStride (a stride of 0 broadcasts that operand), of C at cOff + b*M*N. Through OpenBLAS' cblas_sgemm,
// or a plain loop when built with -DPRUNELAB_NO_BLAS.
#include <cstring>
#include <vector>

#include "../args.h"
#include "../blas.h"

namespace prunelab {

namespace {

// C[M,N] = op(A) op(B) (+ C when accumulate): B is packed non-transposed so the inner loop runs over contiguous j.
// The fallback without BLAS (~14 GFLOP/s here; OpenBLAS reaches ~45 even on attention's 64x64 products).
[[maybe_unused]] void gemmLoop(bool tA, bool tB, int M, int N, int K, const float* A, const float* B, float* C,
                               bool accumulate) {
  std::vector<float> packed;
  const float* Bp = B;
  if (tB) {
    packed.resize(static_cast<size_t>(K) * N);
    for (int n = 0; n < N; n++)
      for (int k = 0; k < K; k++) packed[static_cast<size_t>(k) * N + n] = B[static_cast<size_t>(n) * K + k];
    Bp = packed.data();
  }
  for (int i = 0; i < M; i++) {
    float* c = C + static_cast<size_t>(i) * N;
    if (!accumulate) std::memset(c, 0, sizeof(float) * N);
    for (int k = 0; k < K; k++) {
      const float av = tA ? A[static_cast<size_t>(k) * M + i] : A[static_cast<size_t>(i) * K + k];
      const float* b = Bp + static_cast<size_t>(k) * N;
      for (int j = 0; j < N; j++) c[j] += av * b[j];
    }
  }
}

#ifdef PRUNELAB_NO_BLAS
void gemm(bool tA, bool tB, int M, int N, int K, const float* A, const float* B, float* C, bool accumulate) {
  gemmLoop(tA, tB, M, N, K, A, B, C, accumulate);
}
#else
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

void gemm(bool tA, bool tB, int M, int N, int K, const float* A, const float* B, float* C, bool accumulate) {
  cblas_sgemm(kRowMajor, tA ? kTrans : kNoTrans, tB ? kTrans : kNoTrans, M, N, K, 1.0f, A, tA ? M : K, B,
              tB ? K : N, accumulate ? 1.0f : 0.0f, C, N);
}
#endif

}  // namespace

napi_value Sgemm(napi_env env, napi_callback_info info) {
  Args a(env, info, "sgemm", 13);
  const int batch = static_cast<int>(a.count(1, "batch", kMaxInt)), M = static_cast<int>(a.count(2, "M", kMaxInt)),
            N = static_cast<int>(a.count(3, "N", kMaxInt)), K = static_cast<int>(a.count(4, "K", kMaxInt));
  const bool tA = a.flag(5, "transA"), tB = a.flag(6, "transB");
  const int64_t aStride = a.count(8, "aStride"), bStride = a.count(10, "bStride");
  // the last entry ends at off + (batch-1)*stride + its size
  const auto extent = [&](int64_t stride, int64_t size) -> u128 {
    return batch == 0 ? 0 : static_cast<u128>(batch - 1) * static_cast<u128>(stride) + static_cast<u128>(size);
  };
  const float* A = a.span(7, "aOff", extent(aStride, int64_t{M} * K), "(batch-1)*aStride + M*K");
  const float* B = a.span(9, "bOff", extent(bStride, int64_t{K} * N), "(batch-1)*bStride + K*N");
  float* C0 = a.span(11, "cOff", static_cast<u128>(batch) * (int64_t{M} * N), "batch*M*N");
  const float* biasRow = a.optionalSpan(12, "biasOff", static_cast<u128>(N), "N");
  if (!a.ok()) return nullptr;
  for (int b = 0; b < batch; b++) {
    float* C = C0 + static_cast<int64_t>(b) * M * N;
    const bool bias = biasRow != nullptr;
    if (bias)
      for (int i = 0; i < M; i++) std::memcpy(C + static_cast<int64_t>(i) * N, biasRow, sizeof(float) * N);
    if (K == 0) {
      if (!bias) std::memset(C, 0, sizeof(float) * M * N);
      continue;
    }
    gemm(tA, tB, M, N, K, A + b * aStride, B + b * bStride, C, bias);
  }
  return nullptr;
}

}  // namespace prunelab
