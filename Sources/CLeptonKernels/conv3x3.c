// Direct 3×3 convolution kernels with AVX-512F: see include/lepton_kernels.h for the layouts.
//
// The forward kernel is a register-blocked outer product, like a GEMM micro-kernel whose left
// operand is read straight from the padded input (an implicit im2col): for a run of `pb`
// neighbouring output pixels of one row and `rv` vectors of 16 output channels it keeps pb·rv
// accumulators in registers and, per input channel and tap, loads `rv` weight vectors and
// broadcasts `pb` input values — pb·rv fused multiply-adds per pb + rv loads. The weight-gradient
// kernel keeps the 9 taps × rv channel vectors of one input channel in registers and streams the
// pixels. No unfolded copy of the input is ever written, and nothing is packed twice.
#include "lepton_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define LK_TARGET __attribute__((target("avx512f")))
#define LK_INLINE static inline __attribute__((always_inline))

int lepton_conv3x3_direct_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

// MARK: Forward

/// One tile: pixels 0..<pb of `src` (already offset to the tile's first window) × channel
/// vectors 0..<rv of `weights` and `out` (already offset to the tile's first channel). `pb` and
/// `rv` are constants at every call site, so the loops unroll and the accumulators stay in registers.
/// With `split` < pb the tile's pixels span two rows: pixels 0..<split of one row and the rest
/// from the start of the next (a 7-pixel-wide image then still fills 2 × 14 accumulators).
/// Input channels are `cstride` floats apart, rows `row`, neighbouring pixels 1 (planes,
/// `pixel_major` 0) or `pixel` (pixel-major input, `pixel_major` 1).
LK_TARGET LK_INLINE void forward_tile(const float *src, ptrdiff_t cstride, ptrdiff_t row, ptrdiff_t pixel, int cin,
                                      const float *weights, int cout16, float *out, const int pb, const int rv,
                                      const int split, const int pixel_major) {
    const ptrdiff_t px = pixel_major ? pixel : 1;
    __m512 acc[28];
    for (int i = 0; i < pb * rv; i++) acc[i] = _mm512_setzero_ps();
    const ptrdiff_t offsets[9] = {0, px, 2 * px, row, row + px, row + 2 * px, 2 * row, 2 * row + px, 2 * row + 2 * px};
    for (int c = 0; c < cin; c++) {
        const float *s = src + c * cstride;
        const float *wc = weights + (ptrdiff_t)c * 9 * cout16;
        // Not unrolled: unrolling the taps lets the compiler hoist weight loads and spill accumulators.
#pragma clang loop unroll(disable)
        for (int t = 0; t < 9; t++) {
            const float *sp = s + offsets[t];
            const float *wp = wc + t * cout16;
            __m512 wv[4];
            for (int r = 0; r < rv; r++) wv[r] = _mm512_loadu_ps(wp + 16 * r);
            // Walk the pixels with one moving pointer (a multiply per pixel would take registers
            // the accumulators need).
            const float *q = sp;
            for (int j = 0; j < pb; j++) {
                if (j == split) q = sp + row;
                const __m512 b = _mm512_set1_ps(*q);
                q += px;
                for (int r = 0; r < rv; r++) acc[j * rv + r] = _mm512_fmadd_ps(b, wv[r], acc[j * rv + r]);
            }
        }
    }
    for (int j = 0; j < pb; j++)
        for (int r = 0; r < rv; r++) _mm512_storeu_ps(out + (ptrdiff_t)j * cout16 + 16 * r, acc[j * rv + r]);
}

#define LK_FORWARD_CASE(RV, PB) \
    case (RV) * 100 + (PB): forward_tile(s, cstride, row, pixel, cin, wt, cout16, o, PB, RV, PB, pixel_major); break;
#define LK_FORWARD_CASES_7(RV) LK_FORWARD_CASE(RV, 1) LK_FORWARD_CASE(RV, 2) LK_FORWARD_CASE(RV, 3) \
    LK_FORWARD_CASE(RV, 4) LK_FORWARD_CASE(RV, 5) LK_FORWARD_CASE(RV, 6) LK_FORWARD_CASE(RV, 7)
#define LK_FORWARD_CASES_14(RV) LK_FORWARD_CASES_7(RV) LK_FORWARD_CASE(RV, 8) LK_FORWARD_CASE(RV, 9) \
    LK_FORWARD_CASE(RV, 10) LK_FORWARD_CASE(RV, 11) LK_FORWARD_CASE(RV, 12) LK_FORWARD_CASE(RV, 13) LK_FORWARD_CASE(RV, 14)

/// Every tile of one sample (see `lepton_conv3x3_forward`); `pixel_major` as in `forward_tile`.
LK_TARGET LK_INLINE void forward_sample(const float *src, ptrdiff_t cstride, ptrdiff_t row, ptrdiff_t pixel, int cin,
                                        int h, int w, const float *weights, int cout16, float *out, const int pixel_major) {
    const ptrdiff_t px = pixel_major ? pixel : 1;
    // Widest channel block that divides the channels; then as many pixels as registers allow
    // (28 accumulators of 32 registers).
    // A row of 7 (e.g. 28 / 4) takes 2 vectors × 7 pixels rather than 4 × 6 + 4 × 1.
    const int rv = cout16 % 64 == 0 && w != 7 ? 4 : cout16 % 32 == 0 ? 2 : 1;
    const int pbmax = rv == 4 ? 6 : 14;
    int oy = 0;
    if (w == 7 && rv == 2) {
        // Two rows of 7 per tile (28 accumulators instead of 14).
        for (; oy + 1 < h; oy += 2) {
            const float *s = src + oy * row;
            for (int ob = 0; ob < cout16; ob += 32)
                forward_tile(s, cstride, row, pixel, cin, weights + ob, cout16, out + (ptrdiff_t)(oy * w) * cout16 + ob,
                             14, 2, 7, pixel_major);
        }
    }
    for (; oy < h; oy++) {
        for (int ox = 0; ox < w; ox += pbmax) {
            const int pb = w - ox < pbmax ? w - ox : pbmax;
            const float *s = src + oy * row + ox * px;
            for (int ob = 0; ob < cout16; ob += 16 * rv) {
                const float *wt = weights + ob;
                float *o = out + (ptrdiff_t)(oy * w + ox) * cout16 + ob;
                switch (rv * 100 + pb) {
                    LK_FORWARD_CASES_14(1)
                    LK_FORWARD_CASES_14(2)
                    LK_FORWARD_CASE(4, 1) LK_FORWARD_CASE(4, 2) LK_FORWARD_CASE(4, 3) LK_FORWARD_CASE(4, 4)
                    LK_FORWARD_CASE(4, 5) LK_FORWARD_CASE(4, 6)
                    default: break;
                }
            }
        }
    }
}

LK_TARGET void lepton_conv3x3_forward(const float *src, ptrdiff_t plane, ptrdiff_t row, int cin, int h, int w,
                                      const float *weights, int cout16, float *out) {
    forward_sample(src, plane, row, 1, cin, h, w, weights, cout16, out, 0);
}

LK_TARGET void lepton_conv3x3_forward_pixel_major(const float *src, ptrdiff_t pixel, int cin, int h, int w,
                                                  const float *weights, int cout16, float *out) {
    forward_sample(src, 1, (ptrdiff_t)(w + 2) * pixel, pixel, cin, h, w, weights, cout16, out, 1);
}

// MARK: Weight gradient

/// The 9 taps × rv channel vectors of one input channel plane `src`, accumulated over every
/// pixel into `dw` ([9][cout16], offset to the block's first channel).
LK_TARGET LK_INLINE void weight_gradient_tile(const float *src, ptrdiff_t row, int h, int w,
                                              const float *gradient, int cout16, float *dw, const int rv) {
    __m512 acc[27];
    for (int t = 0; t < 9; t++)
        for (int r = 0; r < rv; r++) acc[t * rv + r] = _mm512_loadu_ps(dw + t * cout16 + 16 * r);
    for (int oy = 0; oy < h; oy++) {
        const float *s = src + oy * row;
        const float *g = gradient + (ptrdiff_t)oy * w * cout16;
        for (int ox = 0; ox < w; ox++) {
            __m512 gv[3];
            for (int r = 0; r < rv; r++) gv[r] = _mm512_loadu_ps(g + (ptrdiff_t)ox * cout16 + 16 * r);
            for (int u = 0; u < 3; u++) {
                for (int v = 0; v < 3; v++) {
                    const __m512 b = _mm512_set1_ps(s[u * row + ox + v]);
                    for (int r = 0; r < rv; r++)
                        acc[(u * 3 + v) * rv + r] = _mm512_fmadd_ps(b, gv[r], acc[(u * 3 + v) * rv + r]);
                }
            }
        }
    }
    for (int t = 0; t < 9; t++)
        for (int r = 0; r < rv; r++) _mm512_storeu_ps(dw + t * cout16 + 16 * r, acc[t * rv + r]);
}

LK_TARGET void lepton_conv3x3_weight_gradient(const float *src, ptrdiff_t plane, ptrdiff_t row, int cin, int h, int w,
                                              const float *gradient, int cout16, float *dweights) {
    const int rv = cout16 % 48 == 0 ? 3 : cout16 % 32 == 0 ? 2 : 1;
    for (int c = 0; c < cin; c++) {
        for (int ob = 0; ob < cout16; ob += 16 * rv) {
            const float *s = src + c * plane;
            float *dw = dweights + (ptrdiff_t)c * 9 * cout16 + ob;
            switch (rv) {
                case 3: weight_gradient_tile(s, row, h, w, gradient + ob, cout16, dw, 3); break;
                case 2: weight_gradient_tile(s, row, h, w, gradient + ob, cout16, dw, 2); break;
                default: weight_gradient_tile(s, row, h, w, gradient + ob, cout16, dw, 1); break;
            }
        }
    }
}

// MARK: Transpose and pool

/// Transposes the 16 × 16 block in r[0..<16] in place (r[k] becomes column k).
LK_TARGET LK_INLINE void transpose16(__m512 r[16]) {
    __m512 t[16], q[16];
    for (int k = 0; k < 8; k++) {
        t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
        t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
    for (int k = 0; k < 4; k++) {
        q[4 * k + 0] = _mm512_shuffle_ps(t[4 * k + 0], t[4 * k + 2], 0x44);
        q[4 * k + 1] = _mm512_shuffle_ps(t[4 * k + 0], t[4 * k + 2], 0xEE);
        q[4 * k + 2] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0x44);
        q[4 * k + 3] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0xEE);
    }
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 4; i++) {
            t[8 * k + i] = _mm512_shuffle_f32x4(q[8 * k + i], q[8 * k + 4 + i], 0x88);
            t[8 * k + 4 + i] = _mm512_shuffle_f32x4(q[8 * k + i], q[8 * k + 4 + i], 0xDD);
        }
    }
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xDD);
    }
}

LK_INLINE __mmask16 first_lanes(int n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u); }

/// ReLU as Swift's `max(v, 0)` computes it: `0 >= v ? 0 : v`, so a NaN stays NaN (`_mm512_max_ps(v, 0)`
/// would turn it into 0 and hide a diverging run from the trainer's non-finite-loss check) and −0
/// becomes +0.
LK_TARGET LK_INLINE __m512 relu16(__m512 v) {
    const __m512 zero = _mm512_setzero_ps();
    return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(zero, v, _CMP_GE_OQ), zero);
}

LK_TARGET void lepton_transpose(const float *src, ptrdiff_t src_ld, int rows, int cols, float *dst, ptrdiff_t dst_ld,
                                const float *bias, int relu) {
    const __m512 zero = _mm512_setzero_ps();
    for (int i0 = 0; i0 < rows; i0 += 16) {
        const int ni = rows - i0 < 16 ? rows - i0 : 16;
        const __mmask16 rowMask = first_lanes(ni);
        for (int j0 = 0; j0 < cols; j0 += 16) {
            const int nj = cols - j0 < 16 ? cols - j0 : 16;
            const __mmask16 colMask = first_lanes(nj);
            __m512 r[16];
            for (int k = 0; k < 16; k++)
                r[k] = k < ni ? _mm512_maskz_loadu_ps(colMask, src + (i0 + k) * src_ld + j0) : zero;
            transpose16(r);
            for (int k = 0; k < nj; k++) {
                __m512 v = r[k];
                if (bias) v = _mm512_add_ps(v, _mm512_set1_ps(bias[j0 + k]));
                if (relu) v = relu16(v);
                _mm512_mask_storeu_ps(dst + (j0 + k) * dst_ld + i0, rowMask, v);
            }
        }
    }
}

LK_TARGET void lepton_pad_pixel_major(const float *src, int channels, int h, int w, float *dst, int padded_w) {
    const int pixels = h * w;
    const __m512 zero = _mm512_setzero_ps();
    for (int q0 = 0; q0 < pixels; q0 += 16) {
        const int nq = pixels - q0 < 16 ? pixels - q0 : 16;
        float *at[16]; // each pixel's place in the padded image
        for (int k = 0; k < nq; k++) {
            const int y = (q0 + k) / w, x = (q0 + k) % w;
            at[k] = dst + ((ptrdiff_t)(y + 1) * padded_w + x + 1) * channels;
        }
        for (int c0 = 0; c0 < channels; c0 += 16) {
            const int nc = channels - c0 < 16 ? channels - c0 : 16;
            __m512 r[16];
            for (int k = 0; k < 16; k++)
                r[k] = k < nc ? _mm512_maskz_loadu_ps(first_lanes(nq), src + (ptrdiff_t)(c0 + k) * pixels + q0) : zero;
            transpose16(r);
            for (int k = 0; k < nq; k++) _mm512_mask_storeu_ps(at[k] + c0, first_lanes(nc), r[k]);
        }
    }
}

LK_TARGET void lepton_unpad_pixel_major(const float *src, int channels, int h, int w, int padded_w, float *dst) {
    const int pixels = h * w;
    const __m512 zero = _mm512_setzero_ps();
    for (int q0 = 0; q0 < pixels; q0 += 16) {
        const int nq = pixels - q0 < 16 ? pixels - q0 : 16;
        const float *at[16];
        for (int k = 0; k < nq; k++) {
            const int y = (q0 + k) / w, x = (q0 + k) % w;
            at[k] = src + ((ptrdiff_t)(y + 1) * padded_w + x + 1) * channels;
        }
        for (int c0 = 0; c0 < channels; c0 += 16) {
            const int nc = channels - c0 < 16 ? channels - c0 : 16;
            __m512 r[16];
            for (int k = 0; k < 16; k++) r[k] = k < nq ? _mm512_maskz_loadu_ps(first_lanes(nc), at[k] + c0) : zero;
            transpose16(r);
            for (int k = 0; k < nc; k++) _mm512_mask_storeu_ps(dst + (ptrdiff_t)(c0 + k) * pixels + q0, first_lanes(nq), r[k]);
        }
    }
}

LK_TARGET void lepton_pool2x2_pixel_major(const float *src, int h, int w, int channels16, float *dst) {
    const int ph = h / 2, pw = w / 2;
    for (int i = 0; i < ph; i++) {
        for (int j = 0; j < pw; j++) {
            const float *a = src + (ptrdiff_t)((2 * i) * w + 2 * j) * channels16;
            const float *b = a + channels16, *c = a + (ptrdiff_t)w * channels16, *d = c + channels16;
            float *o = dst + (ptrdiff_t)(i * pw + j) * channels16;
            for (int k = 0; k < channels16; k += 16) {
                // _mm512_max_ps(x, best) is `x > best ? x : best`: the earlier cell wins ties.
                __m512 best = _mm512_loadu_ps(a + k);
                best = _mm512_max_ps(_mm512_loadu_ps(b + k), best);
                best = _mm512_max_ps(_mm512_loadu_ps(c + k), best);
                best = _mm512_max_ps(_mm512_loadu_ps(d + k), best);
                _mm512_storeu_ps(o + k, best);
            }
        }
    }
}

/// Unpools one plane; the ReLU mask comes from the full-size output `y` (per cell) or, when
/// `mask_per_window`, from the pooled output (per window).
LK_TARGET LK_INLINE void unpool2x2(const float *pooled, const int *argmax, const float *mask, int h, int w, float *dst,
                                   const int mask_per_window) {
    const int ph = h / 2, pw = w / 2, cells = 2 * pw;
    // Lane l of a 16-cell run belongs to window l / 2 of the run's 8 windows.
    const __m512i pairs = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
    const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512 zero = _mm512_setzero_ps();
    for (int i = 0; i < ph; i++) {
        const float *pooledRow = pooled + i * pw, *maskRow = mask + i * pw;
        const int *argmaxRow = argmax + i * pw;
        for (int r = 0; r < 2; r++) {
            const int rowStart = (2 * i + r) * w;
            for (int q = 0; q < cells; q += 16) {
                const int n = cells - q < 16 ? cells - q : 16;
                const __mmask16 cellMask = first_lanes(n), windowMask = first_lanes((n + 1) / 2);
                const __m512 values = _mm512_permutexvar_ps(pairs, _mm512_maskz_loadu_ps(windowMask, pooledRow + q / 2));
                const __m512i winners = _mm512_permutexvar_epi32(pairs, _mm512_maskz_loadu_epi32(windowMask, argmaxRow + q / 2));
                const __m512i positions = _mm512_add_epi32(_mm512_set1_epi32(rowStart + q), lanes);
                const __m512 passed = mask_per_window
                    ? _mm512_permutexvar_ps(pairs, _mm512_maskz_loadu_ps(windowMask, maskRow + q / 2))
                    : _mm512_maskz_loadu_ps(cellMask, mask + rowStart + q);
                const __mmask16 keep = _mm512_mask_cmpeq_epi32_mask(cellMask, winners, positions)
                    & _mm512_cmp_ps_mask(passed, zero, _CMP_GT_OQ);
                _mm512_mask_storeu_ps(dst + rowStart + q, cellMask, _mm512_maskz_mov_ps(keep, values));
            }
            if (cells < w) dst[rowStart + w - 1] = 0;
        }
    }
    for (int p = 2 * ph * w; p < h * w; p++) dst[p] = 0;
}

LK_TARGET void lepton_unpool2x2_relu(const float *pooled, const int *argmax, const float *y, int h, int w, float *dst) {
    unpool2x2(pooled, argmax, y, h, w, dst, 0);
}

LK_TARGET void lepton_unpool2x2_pooled_mask(const float *pooled, const int *argmax, const float *output, int h, int w,
                                            float *dst) {
    unpool2x2(pooled, argmax, output, h, w, dst, 1);
}

LK_TARGET void lepton_bias_relu_pool2x2_argmax_pixel_major(const float *src, int h, int w, int channels16, const float *bias,
                                                           float *dst, int *argmax) {
    const int ph = h / 2, pw = w / 2;
    for (int i = 0; i < ph; i++) {
        for (int j = 0; j < pw; j++) {
            const int at[4] = {2 * i * w + 2 * j, 2 * i * w + 2 * j + 1, (2 * i + 1) * w + 2 * j, (2 * i + 1) * w + 2 * j + 1};
            float *o = dst + (ptrdiff_t)(i * pw + j) * channels16;
            int *a = argmax + (ptrdiff_t)(i * pw + j) * channels16;
            for (int k = 0; k < channels16; k += 16) {
                const __m512 b = _mm512_loadu_ps(bias + k);
                __m512 best = relu16(_mm512_add_ps(_mm512_loadu_ps(src + (ptrdiff_t)at[0] * channels16 + k), b));
                __m512i bestAt = _mm512_set1_epi32(at[0]);
                for (int c = 1; c < 4; c++) {
                    const __m512 v = relu16(_mm512_add_ps(_mm512_loadu_ps(src + (ptrdiff_t)at[c] * channels16 + k), b));
                    const __mmask16 greater = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ);
                    best = _mm512_mask_mov_ps(best, greater, v);
                    bestAt = _mm512_mask_mov_epi32(bestAt, greater, _mm512_set1_epi32(at[c]));
                }
                _mm512_storeu_ps(o + k, best);
                _mm512_storeu_si512((void *)(a + k), bestAt);
            }
        }
    }
}

LK_TARGET void lepton_bias_relu_pool2x2_pixel_major(const float *src, int h, int w, int channels16, const float *bias,
                                                    float *dst, ptrdiff_t dst_row_pixels) {
    const int ph = h / 2, pw = w / 2;
    for (int i = 0; i < ph; i++) {
        for (int j = 0; j < pw; j++) {
            const float *a = src + (ptrdiff_t)((2 * i) * w + 2 * j) * channels16;
            const float *cells[4] = {a, a + channels16, a + (ptrdiff_t)w * channels16, a + (ptrdiff_t)(w + 1) * channels16};
            float *o = dst + (ptrdiff_t)(i * dst_row_pixels + j) * channels16;
            for (int k = 0; k < channels16; k += 16) {
                const __m512 b = _mm512_loadu_ps(bias + k);
                __m512 best = relu16(_mm512_add_ps(_mm512_loadu_ps(cells[0] + k), b));
                for (int c = 1; c < 4; c++)
                    best = _mm512_max_ps(relu16(_mm512_add_ps(_mm512_loadu_ps(cells[c] + k), b)), best);
                _mm512_storeu_ps(o + k, best);
            }
        }
    }
}

LK_TARGET void lepton_bias_relu_mean_pixel_major(const float *src, int pixels, int channels16, const float *bias, float *dst) {
    const __m512 zero = _mm512_setzero_ps(), count = _mm512_set1_ps((float)pixels);
    for (int k = 0; k < channels16; k += 16) {
        const __m512 b = _mm512_loadu_ps(bias + k);
        __m512 sum = zero;
        for (int p = 0; p < pixels; p++)
            sum = _mm512_add_ps(sum, relu16(_mm512_add_ps(_mm512_loadu_ps(src + (ptrdiff_t)p * channels16 + k), b)));
        _mm512_storeu_ps(dst + k, _mm512_div_ps(sum, count));
    }
}

LK_TARGET void lepton_pad_planes(const float *src, int channels, int h, int w, float *dst, ptrdiff_t plane) {
    const int row = w + 2;
    const __m512 zero = _mm512_setzero_ps();
    for (int c = 0; c < channels; c++) {
        const float *s = src + (ptrdiff_t)c * h * w;
        float *d = dst + c * plane;
        for (int k = 0; k < row; k += 16) _mm512_mask_storeu_ps(d + k, first_lanes(row - k), zero);
        for (int iy = 0; iy < h; iy++) {
            float *r = d + (iy + 1) * row;
            // Row iy + 1 of the plane: a zero, the w inputs, a zero (16 at a time).
            for (int k = 0; k < row; k += 16) {
                const int n = row - k < 16 ? row - k : 16;
                // Lane l holds column k + l: input column k + l − 1 when 1 ≤ k + l ≤ w.
                const int first = k == 0 ? 1 : 0, last = (w + 1 - k) < n ? (w + 1 - k) : n;
                const __mmask16 inside = last > first ? (__mmask16)(first_lanes(last) & ~first_lanes(first)) : 0;
                const __m512 v = _mm512_maskz_loadu_ps(inside, s + iy * w + k - 1);
                _mm512_mask_storeu_ps(r + k, first_lanes(n), v);
            }
        }
        for (int k = 0; k < row; k += 16) _mm512_mask_storeu_ps(d + (h + 1) * row + k, first_lanes(row - k), zero);
    }
}

#else

int lepton_conv3x3_direct_available(void) { return 0; }
void lepton_conv3x3_forward(const float *src, ptrdiff_t plane, ptrdiff_t row, int cin, int h, int w,
                            const float *weights, int cout16, float *out) {}
void lepton_conv3x3_weight_gradient(const float *src, ptrdiff_t plane, ptrdiff_t row, int cin, int h, int w,
                                    const float *gradient, int cout16, float *dweights) {}
void lepton_transpose(const float *src, ptrdiff_t src_ld, int rows, int cols, float *dst, ptrdiff_t dst_ld,
                      const float *bias, int relu) {}
void lepton_pool2x2_pixel_major(const float *src, int h, int w, int channels16, float *dst) {}
void lepton_pad_pixel_major(const float *src, int channels, int h, int w, float *dst, int padded_w) {}
void lepton_unpad_pixel_major(const float *src, int channels, int h, int w, int padded_w, float *dst) {}
void lepton_unpool2x2_relu(const float *pooled, const int *argmax, const float *y, int h, int w, float *dst) {}
void lepton_pad_planes(const float *src, int channels, int h, int w, float *dst, ptrdiff_t plane) {}
void lepton_conv3x3_forward_pixel_major(const float *src, ptrdiff_t pixel, int cin, int h, int w,
                                        const float *weights, int cout16, float *out) {}
void lepton_bias_relu_pool2x2_pixel_major(const float *src, int h, int w, int channels16, const float *bias,
                                          float *dst, ptrdiff_t dst_row_pixels) {}
void lepton_bias_relu_mean_pixel_major(const float *src, int pixels, int channels16, const float *bias, float *dst) {}
void lepton_unpool2x2_pooled_mask(const float *pooled, const int *argmax, const float *output, int h, int w, float *dst) {}
void lepton_bias_relu_pool2x2_argmax_pixel_major(const float *src, int h, int w, int channels16, const float *bias,
                                                 float *dst, int *argmax) {}

#endif
