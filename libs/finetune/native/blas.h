// The OpenBLAS functions the addon calls (declared here, so building needs no cblas.h, only -lopenblas).
// Built with -DPRUNELAB_NO_BLAS, nothing links to OpenBLAS and sgemm runs its own loop.
#pragma once

#ifndef PRUNELAB_NO_BLAS
extern "C" {
void cblas_sgemm(int order, int transA, int transB, int M, int N, int K, float alpha, const float* A, int lda,
                 const float* B, int ldb, float beta, float* C, int ldc);
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);
char* openblas_get_corename(void);
}
#endif
