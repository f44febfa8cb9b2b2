// Row-major single-precision matrix products for the Winograd path (Conv2D+Winograd.swift): many
// small products (a few hundred rows and 64–512 columns; an inner dimension of 64–512 channels,
// or of thousands of tiles for ∂L/∂U, taken in blocks of 512) for which a BLAS call
// spends a large share of its time packing its operands and on call overhead. These read both
// operands in place: a register tile of 6 rows × 64 columns (24 AVX-512 accumulators), one row of
// B (4 vectors) loaded per step of the inner dimension and the 6 values of A broadcast, so B's
// rows and A's row segments stream from the cache without copies. The number of columns must be
// a multiple of 16 (every channel count there is). Each element of C is one sum over k in order,
// so the result does not depend on how callers split the rows among threads.
#include "lepton_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define LK_TARGET __attribute__((target("avx512f")))
#define MR 6

// C[rows × 16·nv] (+)= Σ_k a(i, k) · B[k][0 … 16·nv), with a(i, k) = A[i·a_row + k·a_k]: a_row = lda,
// a_k = 1 for A as stored (NN) or a_row = 1, a_k = lda for its transpose (TN).
#define LK_TILE(ROWS, NV)                                                                              \
    do {                                                                                               \
        __m512 acc[ROWS][NV];                                                                          \
        for (int i = 0; i < ROWS; i++)                                                                 \
            for (int j = 0; j < NV; j++)                                                               \
                acc[i][j] = accumulate ? _mm512_loadu_ps(c + i * ldc + 16 * j) : _mm512_setzero_ps(); \
        for (ptrdiff_t k = 0; k < depth; k++) {                                                        \
            __m512 b[NV];                                                                              \
            for (int j = 0; j < NV; j++) b[j] = _mm512_loadu_ps(bk + k * ldb + 16 * j);                \
            for (int i = 0; i < ROWS; i++) {                                                           \
                const __m512 ai = _mm512_set1_ps(a[i * a_row + k * a_k]);                              \
                for (int j = 0; j < NV; j++) acc[i][j] = _mm512_fmadd_ps(ai, b[j], acc[i][j]);         \
            }                                                                                          \
        }                                                                                              \
        for (int i = 0; i < ROWS; i++)                                                                 \
            for (int j = 0; j < NV; j++) _mm512_storeu_ps(c + i * ldc + 16 * j, acc[i][j]);            \
    } while (0)

LK_TARGET static void tile_full(int nv, const float *a, ptrdiff_t a_row, ptrdiff_t a_k, const float *bk, ptrdiff_t ldb,
                                float *c, ptrdiff_t ldc, ptrdiff_t depth, int accumulate) {
    switch (nv) {
    case 4: LK_TILE(MR, 4); break;
    case 3: LK_TILE(MR, 3); break;
    case 2: LK_TILE(MR, 2); break;
    case 1: LK_TILE(MR, 1); break;
    default: __builtin_trap(); // (gemm checks n; never reached)
    }
}

LK_TARGET static void tile_row(int nv, const float *a, ptrdiff_t a_row, ptrdiff_t a_k, const float *bk, ptrdiff_t ldb,
                               float *c, ptrdiff_t ldc, ptrdiff_t depth, int accumulate) {
    switch (nv) {
    case 4: LK_TILE(1, 4); break;
    case 3: LK_TILE(1, 3); break;
    case 2: LK_TILE(1, 2); break;
    case 1: LK_TILE(1, 1); break;
    default: __builtin_trap(); // (gemm checks n; never reached)
    }
}

/// Splits C into tiles: 64-column panels (the last 16–48 wide), 6-row blocks, and the inner
/// dimension in blocks of 512 (accumulating) so that B's panel stays in the L2 cache.
LK_TARGET static void gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t a_row, ptrdiff_t a_k,
                           const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc, int accumulate) {
    if (n % 16 != 0) __builtin_trap(); // a caller's error: the columns come in whole vectors
    if (k == 0 && !accumulate) { // an empty sum: C = 0, as BLAS with beta 0 gives
        for (ptrdiff_t i = 0; i < m; i++)
            for (ptrdiff_t j = 0; j < n; j++) c[i * ldc + j] = 0;
        return;
    }
    const ptrdiff_t depth_block = 512;
    for (ptrdiff_t k0 = 0; k0 < k; k0 += depth_block) {
        const ptrdiff_t depth = k - k0 < depth_block ? k - k0 : depth_block;
        const int acc = accumulate || k0 > 0;
        for (ptrdiff_t n0 = 0; n0 < n; n0 += 64) {
            const int nv = (int)((n - n0 < 64 ? n - n0 : 64) / 16);
            const float *bk = b + k0 * ldb + n0;
            ptrdiff_t i0 = 0;
            for (; i0 + MR <= m; i0 += MR)
                tile_full(nv, a + i0 * a_row + k0 * a_k, a_row, a_k, bk, ldb, c + i0 * ldc + n0, ldc, depth, acc);
            for (; i0 < m; i0++)
                tile_row(nv, a + i0 * a_row + k0 * a_k, a_row, a_k, bk, ldb, c + i0 * ldc + n0, ldc, depth, acc);
        }
    }
}

LK_TARGET void lepton_gemm_nn(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b,
                              ptrdiff_t ldb, float *c, ptrdiff_t ldc, int accumulate) {
    gemm(m, n, k, a, lda, 1, b, ldb, c, ldc, accumulate);
}

LK_TARGET void lepton_gemm_tn(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b,
                              ptrdiff_t ldb, float *c, ptrdiff_t ldc, int accumulate) {
    gemm(m, n, k, a, 1, lda, b, ldb, c, ldc, accumulate);
}

#else

void lepton_gemm_nn(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                    float *c, ptrdiff_t ldc, int accumulate) {}
void lepton_gemm_tn(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                    float *c, ptrdiff_t ldc, int accumulate) {}

#endif
