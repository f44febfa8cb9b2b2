// Winograd F(2×2, 3×3) tile transforms with AVX-512F: see include/lepton_kernels.h for the layouts.
//
// A 3×3 convolution (stride 1, padding 1) computes each 2×2 block of outputs from a 4×4 tile of
// the padded input with 16 products per channel pair instead of 36 (Lavin & Gray 2016):
//
//     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
//
//     Bᵀ = | 1  0 −1  0 |     G = | 1    0    0  |     Aᵀ = | 1  1  1  0 |
//          | 0  1  1  0 |         | ½    ½    ½  |          | 0  1 −1 −1 |
//          | 0 −1  1  0 |         | ½   −½    ½  |
//          | 0  1  0 −1 |         | 0    0    1  |
//
// The sum over input channels of the element-wise products is 16 matrix products (one per tile
// position k), which LeptonCore hands to BLAS. The transforms here take the other steps, 16
// channels (one vector) at a time on pixel-major data; the backward pass uses their adjoints:
// ∂L/∂M = A (∂L/∂Y) Aᵀ per output tile and ∂L/∂d = B (∂L/∂V) Bᵀ, added into the overlapping input
// tiles. Only additions and subtractions: the transforms are exact up to rounding.
#include "lepton_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define LK_TARGET __attribute__((target("avx512f")))

LK_TARGET void lepton_winograd_input_transform(const float *src, int padded_w, int channels16, int tiles_h, int tiles_w,
                                               float *v, ptrdiff_t k_stride) {
    const ptrdiff_t pixel = channels16, row = (ptrdiff_t)padded_w * channels16;
    for (int ty = 0; ty < tiles_h; ty++) {
        for (int tx = 0; tx < tiles_w; tx++) {
            const float *d = src + (2 * ty) * row + (2 * tx) * pixel;
            float *out = v + (ptrdiff_t)(ty * tiles_w + tx) * channels16;
            for (int c = 0; c < channels16; c += 16) {
                __m512 t[4][4];
                for (int j = 0; j < 4; j++) {
                    const __m512 x0 = _mm512_loadu_ps(d + j * pixel + c), x1 = _mm512_loadu_ps(d + row + j * pixel + c);
                    const __m512 x2 = _mm512_loadu_ps(d + 2 * row + j * pixel + c);
                    const __m512 x3 = _mm512_loadu_ps(d + 3 * row + j * pixel + c);
                    t[0][j] = _mm512_sub_ps(x0, x2); // Bᵀ d, one column at a time
                    t[1][j] = _mm512_add_ps(x1, x2);
                    t[2][j] = _mm512_sub_ps(x2, x1);
                    t[3][j] = _mm512_sub_ps(x1, x3);
                }
                for (int i = 0; i < 4; i++) { // (Bᵀ d) B, one row at a time
                    float *o = out + (4 * i) * k_stride + c;
                    _mm512_storeu_ps(o, _mm512_sub_ps(t[i][0], t[i][2]));
                    _mm512_storeu_ps(o + k_stride, _mm512_add_ps(t[i][1], t[i][2]));
                    _mm512_storeu_ps(o + 2 * k_stride, _mm512_sub_ps(t[i][2], t[i][1]));
                    _mm512_storeu_ps(o + 3 * k_stride, _mm512_sub_ps(t[i][1], t[i][3]));
                }
            }
        }
    }
}

LK_TARGET void lepton_winograd_output_transform(const float *m, ptrdiff_t k_stride, int channels16, int tiles_h,
                                                int tiles_w, int h, int w, float *dst) {
    for (int ty = 0; ty < tiles_h; ty++) {
        for (int tx = 0; tx < tiles_w; tx++) {
            const float *in = m + (ptrdiff_t)(ty * tiles_w + tx) * channels16;
            const int rows = h - 2 * ty < 2 ? 1 : 2, cols = w - 2 * tx < 2 ? 1 : 2;
            float *out = dst + (ptrdiff_t)((2 * ty) * w + 2 * tx) * channels16;
            for (int c = 0; c < channels16; c += 16) {
                __m512 s[2][4];
                for (int j = 0; j < 4; j++) { // Aᵀ M, one column at a time
                    const __m512 m0 = _mm512_loadu_ps(in + j * k_stride + c);
                    const __m512 m1 = _mm512_loadu_ps(in + (4 + j) * k_stride + c);
                    const __m512 m2 = _mm512_loadu_ps(in + (8 + j) * k_stride + c);
                    const __m512 m3 = _mm512_loadu_ps(in + (12 + j) * k_stride + c);
                    s[0][j] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
                    s[1][j] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
                }
                for (int i = 0; i < rows; i++) { // (Aᵀ M) A
                    float *o = out + (ptrdiff_t)i * w * channels16 + c;
                    _mm512_storeu_ps(o, _mm512_add_ps(_mm512_add_ps(s[i][0], s[i][1]), s[i][2]));
                    if (cols == 2) _mm512_storeu_ps(o + channels16, _mm512_sub_ps(_mm512_sub_ps(s[i][1], s[i][2]), s[i][3]));
                }
            }
        }
    }
}

LK_TARGET void lepton_winograd_gradient_transform(const float *gradient, int channels16, int tiles_h, int tiles_w,
                                                  int h, int w, float *dm, ptrdiff_t k_stride) {
    const __m512 zero = _mm512_setzero_ps();
    for (int ty = 0; ty < tiles_h; ty++) {
        for (int tx = 0; tx < tiles_w; tx++) {
            const int rows = h - 2 * ty < 2 ? 1 : 2, cols = w - 2 * tx < 2 ? 1 : 2;
            const float *in = gradient + (ptrdiff_t)((2 * ty) * w + 2 * tx) * channels16;
            float *out = dm + (ptrdiff_t)(ty * tiles_w + tx) * channels16;
            for (int c = 0; c < channels16; c += 16) {
                // g: the tile's 2×2 output gradient, zero where the tile runs past the image.
                __m512 g[2][2];
                for (int i = 0; i < 2; i++) {
                    for (int j = 0; j < 2; j++) {
                        g[i][j] = i < rows && j < cols ? _mm512_loadu_ps(in + ((ptrdiff_t)i * w + j) * channels16 + c) : zero;
                    }
                }
                __m512 r[4][2]; // A g
                for (int j = 0; j < 2; j++) {
                    r[0][j] = g[0][j];
                    r[1][j] = _mm512_add_ps(g[0][j], g[1][j]);
                    r[2][j] = _mm512_sub_ps(g[0][j], g[1][j]);
                    r[3][j] = _mm512_sub_ps(zero, g[1][j]);
                }
                for (int i = 0; i < 4; i++) { // (A g) Aᵀ
                    float *o = out + (4 * i) * k_stride + c;
                    _mm512_storeu_ps(o, r[i][0]);
                    _mm512_storeu_ps(o + k_stride, _mm512_add_ps(r[i][0], r[i][1]));
                    _mm512_storeu_ps(o + 2 * k_stride, _mm512_sub_ps(r[i][0], r[i][1]));
                    _mm512_storeu_ps(o + 3 * k_stride, _mm512_sub_ps(zero, r[i][1]));
                }
            }
        }
    }
}

LK_TARGET void lepton_winograd_input_gradient_transform(const float *dv, ptrdiff_t k_stride, int channels16, int tiles_h,
                                                        int tiles_w, float *dst, int padded_w) {
    const ptrdiff_t pixel = channels16, row = (ptrdiff_t)padded_w * channels16;
    for (int ty = 0; ty < tiles_h; ty++) {
        for (int tx = 0; tx < tiles_w; tx++) {
            const float *in = dv + (ptrdiff_t)(ty * tiles_w + tx) * channels16;
            float *d = dst + (2 * ty) * row + (2 * tx) * pixel;
            for (int c = 0; c < channels16; c += 16) {
                __m512 t[4][4]; // B X, one column at a time
                for (int j = 0; j < 4; j++) {
                    const __m512 x0 = _mm512_loadu_ps(in + j * k_stride + c);
                    const __m512 x1 = _mm512_loadu_ps(in + (4 + j) * k_stride + c);
                    const __m512 x2 = _mm512_loadu_ps(in + (8 + j) * k_stride + c);
                    const __m512 x3 = _mm512_loadu_ps(in + (12 + j) * k_stride + c);
                    t[0][j] = x0;
                    t[1][j] = _mm512_add_ps(_mm512_sub_ps(x1, x2), x3);
                    t[2][j] = _mm512_add_ps(_mm512_sub_ps(x1, x0), x2);
                    t[3][j] = _mm512_sub_ps(_mm512_setzero_ps(), x3);
                }
                for (int i = 0; i < 4; i++) { // (B X) Bᵀ, added into the overlapping tile
                    float *o = d + i * row + c;
                    const __m512 y0 = t[i][0];
                    const __m512 y1 = _mm512_add_ps(_mm512_sub_ps(t[i][1], t[i][2]), t[i][3]);
                    const __m512 y2 = _mm512_add_ps(_mm512_sub_ps(t[i][1], t[i][0]), t[i][2]);
                    const __m512 y3 = _mm512_sub_ps(_mm512_setzero_ps(), t[i][3]);
                    _mm512_storeu_ps(o, _mm512_add_ps(_mm512_loadu_ps(o), y0));
                    _mm512_storeu_ps(o + pixel, _mm512_add_ps(_mm512_loadu_ps(o + pixel), y1));
                    _mm512_storeu_ps(o + 2 * pixel, _mm512_add_ps(_mm512_loadu_ps(o + 2 * pixel), y2));
                    _mm512_storeu_ps(o + 3 * pixel, _mm512_add_ps(_mm512_loadu_ps(o + 3 * pixel), y3));
                }
            }
        }
    }
}

LK_TARGET void lepton_winograd_weight_transform(const float *weights, int cout, int cin, float *u, int o_begin, int o_end) {
    const __m512 half = _mm512_set1_ps(0.5f);
    const ptrdiff_t k_stride = (ptrdiff_t)cin * cout;
    const __m512i kernels = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                               _mm512_set1_epi32(cin * 9));
    for (int c = 0; c < cin; c++) { // (o0 inner: each U_k row written, or ∂L/∂U_k row read, in order)
        for (int o0 = o_begin; o0 < o_end; o0 += 16) {
            // g[q] for output channels o0…o0 + 15: one gather per tap.
            const float *base = weights + ((ptrdiff_t)o0 * cin + c) * 9;
            __m512 g[9];
            for (int q = 0; q < 9; q++) g[q] = _mm512_i32gather_ps(kernels, base + q, 4);
            __m512 t[4][3]; // G g
            for (int j = 0; j < 3; j++) {
                t[0][j] = g[j];
                t[1][j] = _mm512_mul_ps(half, _mm512_add_ps(_mm512_add_ps(g[j], g[3 + j]), g[6 + j]));
                t[2][j] = _mm512_mul_ps(half, _mm512_add_ps(_mm512_sub_ps(g[j], g[3 + j]), g[6 + j]));
                t[3][j] = g[6 + j];
            }
            float *out = u + (ptrdiff_t)c * cout + o0;
            for (int i = 0; i < 4; i++) { // (G g) Gᵀ
                const __m512 a = t[i][0], b = t[i][1], e = t[i][2];
                _mm512_storeu_ps(out + (4 * i) * k_stride, a);
                _mm512_storeu_ps(out + (4 * i + 1) * k_stride, _mm512_mul_ps(half, _mm512_add_ps(_mm512_add_ps(a, b), e)));
                _mm512_storeu_ps(out + (4 * i + 2) * k_stride, _mm512_mul_ps(half, _mm512_add_ps(_mm512_sub_ps(a, b), e)));
                _mm512_storeu_ps(out + (4 * i + 3) * k_stride, e);
            }
        }
    }
}

LK_TARGET void lepton_winograd_weight_gradient_transform(const float *du, int cout, int cin, float *dweights, int o_begin, int o_end) {
    const __m512 half = _mm512_set1_ps(0.5f);
    const ptrdiff_t k_stride = (ptrdiff_t)cin * cout;
    for (int c = 0; c < cin; c++) { // (o0 inner: each U_k row written, or ∂L/∂U_k row read, in order)
        for (int o0 = o_begin; o0 < o_end; o0 += 16) {
            const float *in = du + (ptrdiff_t)c * cout + o0;
            __m512 z[3][4]; // Gᵀ X, one column at a time
            for (int j = 0; j < 4; j++) {
                const __m512 x0 = _mm512_loadu_ps(in + j * k_stride), x1 = _mm512_loadu_ps(in + (4 + j) * k_stride);
                const __m512 x2 = _mm512_loadu_ps(in + (8 + j) * k_stride), x3 = _mm512_loadu_ps(in + (12 + j) * k_stride);
                const __m512 mid = _mm512_mul_ps(half, _mm512_add_ps(x1, x2));
                z[0][j] = _mm512_add_ps(x0, mid);
                z[1][j] = _mm512_mul_ps(half, _mm512_sub_ps(x1, x2));
                z[2][j] = _mm512_add_ps(mid, x3);
            }
            float r[9][16]; // (Gᵀ X) G, tap 3i + j for the 16 output channels
            for (int i = 0; i < 3; i++) {
                const __m512 mid = _mm512_mul_ps(half, _mm512_add_ps(z[i][1], z[i][2]));
                _mm512_storeu_ps(r[3 * i], _mm512_add_ps(z[i][0], mid));
                _mm512_storeu_ps(r[3 * i + 1], _mm512_mul_ps(half, _mm512_sub_ps(z[i][1], z[i][2])));
                _mm512_storeu_ps(r[3 * i + 2], _mm512_add_ps(mid, z[i][3]));
            }
            for (int l = 0; l < 16; l++) {
                float *dst = dweights + ((ptrdiff_t)(o0 + l) * cin + c) * 9;
                for (int q = 0; q < 9; q++) dst[q] = r[q][l];
            }
        }
    }
}

// MARK: F(4×4, 3×3)
//
// Each 4×4 block of outputs from a 6×6 input tile, 36 products per channel pair instead of 144
// (interpolation points 0, ±1, ±2, ∞; Lavin & Gray 2016):
//
//     Bᵀ = | 4  0 −5  0  1  0 |   G = |  1/4     0     0  |   Aᵀ = | 1  1  1  1  1  0 |
//          | 0 −4 −4  1  1  0 |       | −1/6  −1/6  −1/6  |        | 0  1 −1  2 −2  0 |
//          | 0  4 −4 −1  1  0 |       | −1/6   1/6  −1/6  |        | 0  1  1  4  4  0 |
//          | 0 −2 −1  2  1  0 |       | 1/24  1/12   1/6  |        | 0  1 −1  8 −8  1 |
//          | 0  2 −1 −2  1  0 |       | 1/24 −1/12   1/6  |
//          | 0  4  0 −5  0  1 |       |    0     0     1  |
//
// Tile (ty, tx) covers outputs 4ty…4ty + 3, 4tx…4tx + 3 and padded input 4ty…4ty + 5,
// 4tx…4tx + 5; position k = 6i + j. Unlike F(2×2, 3×3) the transforms multiply by constants, so
// the results equal the direct convolution up to a few more units of rounding.

#define V16 __m512
#define ADD _mm512_add_ps
#define SUB _mm512_sub_ps
#define MUL(c, x) _mm512_mul_ps(_mm512_set1_ps(c), (x))
#define FMA(c, x, y) _mm512_fmadd_ps(_mm512_set1_ps(c), (x), (y))

/// r = Bᵀ d (6 → 6).
LK_TARGET static inline __attribute__((always_inline)) void f4_bt(const V16 d[6], V16 r[6]) {
    r[0] = ADD(FMA(4.0f, d[0], MUL(-5.0f, d[2])), d[4]);
    r[1] = ADD(FMA(-4.0f, ADD(d[1], d[2]), d[3]), d[4]);
    r[2] = ADD(FMA(4.0f, SUB(d[1], d[2]), d[4]), MUL(-1.0f, d[3]));
    r[3] = ADD(FMA(2.0f, SUB(d[3], d[1]), d[4]), MUL(-1.0f, d[2]));
    r[4] = ADD(FMA(2.0f, SUB(d[1], d[3]), d[4]), MUL(-1.0f, d[2]));
    r[5] = ADD(FMA(4.0f, d[1], MUL(-5.0f, d[3])), d[5]);
}

/// r = B x (6 → 6), the adjoint of f4_bt.
LK_TARGET static inline __attribute__((always_inline)) void f4_b(const V16 x[6], V16 r[6]) {
    r[0] = MUL(4.0f, x[0]);
    r[1] = FMA(4.0f, ADD(SUB(x[2], x[1]), x[5]), MUL(2.0f, SUB(x[4], x[3])));
    r[2] = SUB(FMA(-5.0f, x[0], MUL(-4.0f, ADD(x[1], x[2]))), ADD(x[3], x[4]));
    r[3] = FMA(-5.0f, x[5], FMA(2.0f, SUB(x[3], x[4]), SUB(x[1], x[2])));
    r[4] = ADD(ADD(ADD(x[0], x[1]), ADD(x[2], x[3])), x[4]);
    r[5] = x[5];
}

/// o = Aᵀ m (6 → 4).
LK_TARGET static inline __attribute__((always_inline)) void f4_at(const V16 m[6], V16 o[4]) {
    const V16 p12 = ADD(m[1], m[2]), m12 = SUB(m[1], m[2]), p34 = ADD(m[3], m[4]), m34 = SUB(m[3], m[4]);
    o[0] = ADD(ADD(m[0], p12), p34);
    o[1] = FMA(2.0f, m34, m12);
    o[2] = FMA(4.0f, p34, p12);
    o[3] = ADD(FMA(8.0f, m34, m12), m[5]);
}

/// r = A y (4 → 6), the adjoint of f4_at.
LK_TARGET static inline __attribute__((always_inline)) void f4_a(const V16 y[4], V16 r[6]) {
    const V16 p02 = ADD(y[0], y[2]), p13 = ADD(y[1], y[3]);
    r[0] = y[0];
    r[1] = ADD(p02, p13);
    r[2] = SUB(p02, p13);
    r[3] = ADD(FMA(4.0f, y[2], y[0]), FMA(8.0f, y[3], MUL(2.0f, y[1])));
    r[4] = SUB(FMA(4.0f, y[2], y[0]), FMA(8.0f, y[3], MUL(2.0f, y[1])));
    r[5] = y[3];
}

LK_TARGET void lepton_winograd4_input_transform(const float *src, int padded_w, int channels16, int tiles_h, int tiles_w,
                                                float *v, ptrdiff_t k_stride) {
    const ptrdiff_t pixel = channels16, row = (ptrdiff_t)padded_w * channels16;
    for (int ty = 0; ty < tiles_h; ty++) {
        for (int tx = 0; tx < tiles_w; tx++) {
            const float *d = src + (4 * ty) * row + (4 * tx) * pixel;
            float *out = v + (ptrdiff_t)(ty * tiles_w + tx) * channels16;
            for (int c = 0; c < channels16; c += 16) {
                V16 t[6][6];
                for (int j = 0; j < 6; j++) { // Bᵀ d, one column at a time
                    V16 col[6], r[6];
                    for (int i = 0; i < 6; i++) col[i] = _mm512_loadu_ps(d + i * row + j * pixel + c);
                    f4_bt(col, r);
                    for (int i = 0; i < 6; i++) t[i][j] = r[i];
                }
                for (int i = 0; i < 6; i++) { // (Bᵀ d) B, one row at a time
                    V16 r[6];
                    f4_bt(t[i], r);
                    for (int j = 0; j < 6; j++) _mm512_storeu_ps(out + (6 * i + j) * k_stride + c, r[j]);
                }
            }
        }
    }
}

LK_TARGET void lepton_winograd4_output_transform(const float *m, ptrdiff_t k_stride, int channels16, int tiles_h,
                                                 int tiles_w, int h, int w, float *dst) {
    for (int ty = 0; ty < tiles_h; ty++) {
        for (int tx = 0; tx < tiles_w; tx++) {
            const float *in = m + (ptrdiff_t)(ty * tiles_w + tx) * channels16;
            const int rows = h - 4 * ty < 4 ? h - 4 * ty : 4, cols = w - 4 * tx < 4 ? w - 4 * tx : 4;
            float *out = dst + (ptrdiff_t)((4 * ty) * w + 4 * tx) * channels16;
            for (int c = 0; c < channels16; c += 16) {
                V16 s[4][6];
                for (int j = 0; j < 6; j++) { // Aᵀ M, one column at a time
                    V16 col[6], o[4];
                    for (int i = 0; i < 6; i++) col[i] = _mm512_loadu_ps(in + (6 * i + j) * k_stride + c);
                    f4_at(col, o);
                    for (int a = 0; a < 4; a++) s[a][j] = o[a];
                }
                for (int a = 0; a < rows; a++) { // (Aᵀ M) A
                    V16 o[4];
                    f4_at(s[a], o);
                    for (int b = 0; b < cols; b++) _mm512_storeu_ps(out + ((ptrdiff_t)a * w + b) * channels16 + c, o[b]);
                }
            }
        }
    }
}

LK_TARGET void lepton_winograd4_gradient_transform(const float *gradient, int channels16, int tiles_h, int tiles_w,
                                                   int h, int w, float *dm, ptrdiff_t k_stride) {
    const V16 zero = _mm512_setzero_ps();
    for (int ty = 0; ty < tiles_h; ty++) {
        for (int tx = 0; tx < tiles_w; tx++) {
            const int rows = h - 4 * ty < 4 ? h - 4 * ty : 4, cols = w - 4 * tx < 4 ? w - 4 * tx : 4;
            const float *in = gradient + (ptrdiff_t)((4 * ty) * w + 4 * tx) * channels16;
            float *out = dm + (ptrdiff_t)(ty * tiles_w + tx) * channels16;
            for (int c = 0; c < channels16; c += 16) {
                V16 r[6][4]; // A g, one column at a time (zero past the image's edge)
                for (int b = 0; b < 4; b++) {
                    V16 col[4], e[6];
                    for (int a = 0; a < 4; a++) {
                        col[a] = a < rows && b < cols ? _mm512_loadu_ps(in + ((ptrdiff_t)a * w + b) * channels16 + c) : zero;
                    }
                    f4_a(col, e);
                    for (int i = 0; i < 6; i++) r[i][b] = e[i];
                }
                for (int i = 0; i < 6; i++) { // (A g) Aᵀ
                    V16 e[6];
                    f4_a(r[i], e);
                    for (int j = 0; j < 6; j++) _mm512_storeu_ps(out + (6 * i + j) * k_stride + c, e[j]);
                }
            }
        }
    }
}

LK_TARGET void lepton_winograd4_input_gradient_transform(const float *dv, ptrdiff_t k_stride, int channels16, int tiles_h,
                                                         int tiles_w, float *dst, int padded_w) {
    const ptrdiff_t pixel = channels16, row = (ptrdiff_t)padded_w * channels16;
    for (int ty = 0; ty < tiles_h; ty++) {
        for (int tx = 0; tx < tiles_w; tx++) {
            const float *in = dv + (ptrdiff_t)(ty * tiles_w + tx) * channels16;
            float *d = dst + (4 * ty) * row + (4 * tx) * pixel;
            for (int c = 0; c < channels16; c += 16) {
                V16 t[6][6]; // B X, one column at a time
                for (int j = 0; j < 6; j++) {
                    V16 col[6], r[6];
                    for (int i = 0; i < 6; i++) col[i] = _mm512_loadu_ps(in + (6 * i + j) * k_stride + c);
                    f4_b(col, r);
                    for (int i = 0; i < 6; i++) t[i][j] = r[i];
                }
                for (int i = 0; i < 6; i++) { // (B X) Bᵀ, added into the overlapping tile
                    V16 r[6];
                    f4_b(t[i], r);
                    for (int j = 0; j < 6; j++) {
                        float *o = d + i * row + j * pixel + c;
                        _mm512_storeu_ps(o, ADD(_mm512_loadu_ps(o), r[j]));
                    }
                }
            }
        }
    }
}

LK_TARGET void lepton_winograd4_weight_transform(const float *weights, int cout, int cin, float *u, int o_begin, int o_end) {
    const ptrdiff_t k_stride = (ptrdiff_t)cin * cout;
    const __m512i kernels = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                               _mm512_set1_epi32(cin * 9));
    for (int c = 0; c < cin; c++) { // (o0 inner: each U_k row written, or ∂L/∂U_k row read, in order)
        for (int o0 = o_begin; o0 < o_end; o0 += 16) {
            const float *base = weights + ((ptrdiff_t)o0 * cin + c) * 9;
            V16 g[9];
            for (int q = 0; q < 9; q++) g[q] = _mm512_i32gather_ps(kernels, base + q, 4);
            V16 t[6][3]; // G g, one column at a time
            for (int j = 0; j < 3; j++) {
                const V16 g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
                t[0][j] = MUL(0.25f, g0);
                t[1][j] = MUL(-1.0f / 6.0f, ADD(ADD(g0, g1), g2));
                t[2][j] = MUL(-1.0f / 6.0f, ADD(SUB(g0, g1), g2));
                t[3][j] = FMA(1.0f / 24.0f, g0, FMA(1.0f / 12.0f, g1, MUL(1.0f / 6.0f, g2)));
                t[4][j] = FMA(1.0f / 24.0f, g0, FMA(-1.0f / 12.0f, g1, MUL(1.0f / 6.0f, g2)));
                t[5][j] = g2;
            }
            float *out = u + (ptrdiff_t)c * cout + o0;
            for (int i = 0; i < 6; i++) { // (G g) Gᵀ
                const V16 g0 = t[i][0], g1 = t[i][1], g2 = t[i][2];
                _mm512_storeu_ps(out + (6 * i) * k_stride, MUL(0.25f, g0));
                _mm512_storeu_ps(out + (6 * i + 1) * k_stride, MUL(-1.0f / 6.0f, ADD(ADD(g0, g1), g2)));
                _mm512_storeu_ps(out + (6 * i + 2) * k_stride, MUL(-1.0f / 6.0f, ADD(SUB(g0, g1), g2)));
                _mm512_storeu_ps(out + (6 * i + 3) * k_stride, FMA(1.0f / 24.0f, g0, FMA(1.0f / 12.0f, g1, MUL(1.0f / 6.0f, g2))));
                _mm512_storeu_ps(out + (6 * i + 4) * k_stride, FMA(1.0f / 24.0f, g0, FMA(-1.0f / 12.0f, g1, MUL(1.0f / 6.0f, g2))));
                _mm512_storeu_ps(out + (6 * i + 5) * k_stride, g2);
            }
        }
    }
}

/// r = Gᵀ x (6 → 3).
LK_TARGET static inline __attribute__((always_inline)) void f4_gt(const V16 x[6], V16 r[3]) {
    const V16 p12 = ADD(x[1], x[2]), p34 = ADD(x[3], x[4]);
    r[0] = FMA(0.25f, x[0], FMA(-1.0f / 6.0f, p12, MUL(1.0f / 24.0f, p34)));
    r[1] = FMA(1.0f / 6.0f, SUB(x[2], x[1]), MUL(1.0f / 12.0f, SUB(x[3], x[4])));
    r[2] = FMA(1.0f / 6.0f, SUB(p34, p12), x[5]);
}

LK_TARGET void lepton_winograd4_weight_gradient_transform(const float *du, int cout, int cin, float *dweights, int o_begin, int o_end) {
    const ptrdiff_t k_stride = (ptrdiff_t)cin * cout;
    for (int c = 0; c < cin; c++) { // (o0 inner: each U_k row written, or ∂L/∂U_k row read, in order)
        for (int o0 = o_begin; o0 < o_end; o0 += 16) {
            const float *in = du + (ptrdiff_t)c * cout + o0;
            V16 z[3][6]; // Gᵀ X, one column at a time
            for (int j = 0; j < 6; j++) {
                V16 col[6], r[3];
                for (int i = 0; i < 6; i++) col[i] = _mm512_loadu_ps(in + (6 * i + j) * k_stride);
                f4_gt(col, r);
                for (int a = 0; a < 3; a++) z[a][j] = r[a];
            }
            float r[9][16]; // (Gᵀ X) G, tap 3a + b for the 16 output channels
            for (int a = 0; a < 3; a++) {
                V16 e[3];
                f4_gt(z[a], e);
                for (int b = 0; b < 3; b++) _mm512_storeu_ps(r[3 * a + b], e[b]);
            }
            for (int l = 0; l < 16; l++) {
                float *dst = dweights + ((ptrdiff_t)(o0 + l) * cin + c) * 9;
                for (int q = 0; q < 9; q++) dst[q] = r[q][l];
            }
        }
    }
}

#else

void lepton_winograd_input_transform(const float *src, int padded_w, int channels16, int tiles_h, int tiles_w,
                                     float *v, ptrdiff_t k_stride) {}
void lepton_winograd_output_transform(const float *m, ptrdiff_t k_stride, int channels16, int tiles_h, int tiles_w,
                                      int h, int w, float *dst) {}
void lepton_winograd_gradient_transform(const float *gradient, int channels16, int tiles_h, int tiles_w, int h, int w,
                                        float *dm, ptrdiff_t k_stride) {}
void lepton_winograd_input_gradient_transform(const float *dv, ptrdiff_t k_stride, int channels16, int tiles_h,
                                              int tiles_w, float *dst, int padded_w) {}
void lepton_winograd_weight_transform(const float *weights, int cout, int cin, float *u, int o_begin, int o_end) {}
void lepton_winograd_weight_gradient_transform(const float *du, int cout, int cin, float *dweights, int o_begin, int o_end) {}
void lepton_winograd4_input_transform(const float *src, int padded_w, int channels16, int tiles_h, int tiles_w,
                                      float *v, ptrdiff_t k_stride) {}
void lepton_winograd4_output_transform(const float *m, ptrdiff_t k_stride, int channels16, int tiles_h, int tiles_w,
                                       int h, int w, float *dst) {}
void lepton_winograd4_gradient_transform(const float *gradient, int channels16, int tiles_h, int tiles_w, int h, int w,
                                         float *dm, ptrdiff_t k_stride) {}
void lepton_winograd4_input_gradient_transform(const float *dv, ptrdiff_t k_stride, int channels16, int tiles_h,
                                               int tiles_w, float *dst, int padded_w) {}
void lepton_winograd4_weight_transform(const float *weights, int cout, int cin, float *u, int o_begin, int o_end) {}
void lepton_winograd4_weight_gradient_transform(const float *du, int cout, int cin, float *dweights, int o_begin, int o_end) {}

#endif
