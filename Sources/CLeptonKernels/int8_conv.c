// Int8 convolution kernels (3×3 with padding 1, or 1×1; stride 1 or 2): see include/lepton_int8.h
// for the layouts and the guarantee that the three paths give identical sums.
//
// Both vector kernels are register-blocked outer products read straight from the padded image
// (an implicit im2col): for a run of `pb` neighbouring output pixels and `rv` vectors of output
// channels they keep pb·rv int32 accumulators; per tap and group of 4 input channels they
// broadcast each pixel's 4 bytes (one 32-bit load, channels being contiguous) and load rv weight
// vectors. The AVX2 kernel runs one 16-channel block at a time over every pixel tile. VNNI: one vpdpbusd per accumulator (16 channels × 4 products). AVX2: vpmaddubsw
// (pairs of products to int16) then vpmaddwd against ones (pairs of pairs to int32).
#include "lepton_int8.h"
#include "lk_clones.h"
#include <math.h>
#include <string.h>

// No FMA contraction: the epilogues' clones (AVX-512 has FMA, AVX2 and the baseline are built
// without it) must round alike, so a model gives the same codes on every processor.
#pragma clang fp contract(off)

static inline int32_t load_u32(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

// MARK: Naive reference

/// Byte offset of tap t from a window's top-left pixel: 3×3 taps (u, v) = (t / 3, t mod 3), or
/// the centre (1, 1) for a 1×1 convolution.
static inline ptrdiff_t tap_offset(int t, int ksize, ptrdiff_t row, int cin4) {
    return ksize == 3 ? (t / 3) * row + (ptrdiff_t)(t % 3) * cin4 : row + cin4;
}

static inline int out_size(int n, int stride) { return (n - 1) / stride + 1; }

/// The top-left of output pixel p's window (in the padded image).
static inline const uint8_t *window_base(const uint8_t *src, lepton_qconv_shape s, int p) {
    const int ow = out_size(s.w, s.stride);
    const ptrdiff_t row = (ptrdiff_t)(s.w + 2) * s.cin4;
    return src + (ptrdiff_t)(p / ow) * s.stride * row + (ptrdiff_t)(p % ow) * s.stride * s.cin4;
}

static void naive_s32(const uint8_t *src, lepton_qconv_shape s, const int8_t *weights, int32_t *out) {
    const ptrdiff_t row = (ptrdiff_t)(s.w + 2) * s.cin4;
    const int groups = s.cin4 / 4, taps = s.ksize * s.ksize;
    const int pixels = out_size(s.h, s.stride) * out_size(s.w, s.stride);
    for (int p = 0; p < pixels; p++) {
        const uint8_t *window = window_base(src, s, p);
        int32_t *o = out + (ptrdiff_t)p * s.cout16;
        for (int c = 0; c < s.cout16; c++) o[c] = 0;
        for (int t = 0; t < taps; t++) {
            const uint8_t *a = window + tap_offset(t, s.ksize, row, s.cin4);
            for (int g = 0; g < groups; g++) {
                for (int c = 0; c < s.cout16; c++) {
                    const int8_t *wv = weights + (((ptrdiff_t)(c / 16) * taps + t) * groups + g) * 64 + (c % 16) * 4;
                    int32_t sum = 0;
                    for (int i = 0; i < 4; i++) sum += (int32_t)a[4 * g + i] * (int32_t)wv[i];
                    o[c] += sum;
                }
            }
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define LK_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define LK_AVX2 __attribute__((target("avx2")))
#define LK_INLINE static inline __attribute__((always_inline))

int lepton_int8_vnni_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
}

int lepton_int8_avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

/// The window top-left of each of `pb` consecutive output pixels from flat index p (they may
/// span rows).
static inline void window_bases(const uint8_t *src, lepton_qconv_shape s, int p, int pb, const uint8_t **base) {
    for (int k = 0; k < pb; k++) base[k] = window_base(src, s, p + k);
}

// MARK: AVX-512 VNNI

/// `pb` pixels × 16-channel blocks r0 … r0+rv−1.
LK_VNNI LK_INLINE void vnni_tile(const uint8_t **base, ptrdiff_t row, int cin4, int ksize, const int8_t *weights,
                                 int r0, int32_t *out, int cout16, const int pb, const int rv) {
    __m512i acc[32];  // pb·rv ≤ 16 at every call (vnni_s32 picks pb by the block count); sized for any pb ≤ 8, rv ≤ 4
    for (int i = 0; i < pb * rv; i++) acc[i] = _mm512_setzero_si512();
    const int groups = cin4 / 4, taps = ksize * ksize;
    const ptrdiff_t bstride = (ptrdiff_t)taps * groups * 64;  // from one block's codes to the next's
    for (int t = 0; t < taps; t++) {
        const ptrdiff_t off = tap_offset(t, ksize, row, cin4);
        const int8_t *wt = weights + ((ptrdiff_t)r0 * taps + t) * groups * 64;
        for (int g = 0; g < groups; g++) {
            __m512i a[8];
            for (int k = 0; k < pb; k++) a[k] = _mm512_set1_epi32(load_u32(base[k] + off + 4 * g));
            const int8_t *wg = wt + (ptrdiff_t)g * 64;
            for (int r = 0; r < rv; r++) {
                const __m512i wv = _mm512_loadu_si512((const void *)(wg + r * bstride));
                for (int k = 0; k < pb; k++) acc[k * rv + r] = _mm512_dpbusd_epi32(acc[k * rv + r], a[k], wv);
            }
        }
    }
    for (int k = 0; k < pb; k++)
        for (int r = 0; r < rv; r++) _mm512_storeu_si512((void *)(out + (ptrdiff_t)k * cout16 + (r0 + r) * 16), acc[k * rv + r]);
}

/// Pixels p … p+pb−1, every channel block, in passes of up to four blocks. The caller picks pb
/// by the block count (8 for one or two blocks, 4 for more): 8 to 16 independent
/// accumulators, enough to hide vpdpbusd's latency without spilling.
LK_VNNI LK_INLINE void vnni_pixels(const uint8_t **base, ptrdiff_t row, int cin4, int ksize, const int8_t *weights, int blocks,
                                   int32_t *out, int cout16, const int pb) {
    int r0 = 0;
    for (; r0 + 4 <= blocks; r0 += 4) vnni_tile(base, row, cin4, ksize, weights, r0, out, cout16, pb, 4);
    switch (blocks - r0) {
    case 3: vnni_tile(base, row, cin4, ksize, weights, r0, out, cout16, pb, 3); break;
    case 2: vnni_tile(base, row, cin4, ksize, weights, r0, out, cout16, pb, 2); break;
    case 1: vnni_tile(base, row, cin4, ksize, weights, r0, out, cout16, pb, 1); break;
    default: break;
    }
}

LK_VNNI static void vnni_s32(const uint8_t *src, lepton_qconv_shape s, const int8_t *weights, int32_t *out) {
    const ptrdiff_t row = (ptrdiff_t)(s.w + 2) * s.cin4;
    const int blocks = s.cout16 / 16, pixels = out_size(s.h, s.stride) * out_size(s.w, s.stride);
    // Pixels per tile: the most the widest pass keeps in registers.
    const int step = blocks <= 2 ? 8 : 4;
    const uint8_t *base[8];
    int p = 0;
    for (; p + step <= pixels; p += step) {
        window_bases(src, s, p, step, base);
        int32_t *o = out + (ptrdiff_t)p * s.cout16;
        if (step == 8) vnni_pixels(base, row, s.cin4, s.ksize, weights, blocks, o, s.cout16, 8);
        else vnni_pixels(base, row, s.cin4, s.ksize, weights, blocks, o, s.cout16, 4);
    }
    for (; p < pixels; p++) {
        window_bases(src, s, p, 1, base);
        vnni_pixels(base, row, s.cin4, s.ksize, weights, blocks, out + (ptrdiff_t)p * s.cout16, s.cout16, 1);
    }
}

// MARK: AVX2

/// `pb` pixels × one 16-channel block `b` (two vectors of 8 channels: pb·2 accumulators).
/// vpmaddubsw sums pairs of u8 × s8 products to int16, vpmaddwd against ones sums pairs of those
/// to int32. With narrow weights (|w| ≤ 63) two groups' int16 pair sums are added before the
/// widening (|a·w + a·w| ≤ 2·127·63, twice that ≤ 32,004: no int16 overflow), one vpmaddwd for
/// eight products instead of four.
LK_AVX2 LK_INLINE void avx2_tile(const uint8_t **base, ptrdiff_t row, int cin4, int ksize, const int8_t *weights,
                                 int b, int32_t *out, int cout16, const int pb, const int narrow) {
    __m256i acc[8];
    for (int i = 0; i < 2 * pb; i++) acc[i] = _mm256_setzero_si256();
    const __m256i ones = _mm256_set1_epi16(1);
    const int groups = cin4 / 4, taps = ksize * ksize;
    const ptrdiff_t gstride = 64;
    for (int t = 0; t < taps; t++) {
        const ptrdiff_t off = tap_offset(t, ksize, row, cin4);
        const int8_t *wt = weights + ((ptrdiff_t)b * taps + t) * groups * 64;
        int g = 0;
        if (narrow) {
            for (; g + 2 <= groups; g += 2) {
                const int8_t *w0 = wt + g * gstride, *w1 = w0 + gstride;
                // One 8-channel half at a time (2 weight vectors live, broadcasts loaded again):
                // 8 accumulators, 2 + 2 operands, 2 temporaries and the ones fit 16 registers.
                for (int half = 0; half < 2; half++) {
                    const __m256i wa = _mm256_loadu_si256((const __m256i *)(w0 + 32 * half));
                    const __m256i wb = _mm256_loadu_si256((const __m256i *)(w1 + 32 * half));
                    for (int k = 0; k < pb; k++) {
                        const uint8_t *a = base[k] + off + 4 * g;
                        const __m256i a0 = _mm256_set1_epi32(load_u32(a)), a1 = _mm256_set1_epi32(load_u32(a + 4));
                        const __m256i pairs = _mm256_add_epi16(_mm256_maddubs_epi16(a0, wa), _mm256_maddubs_epi16(a1, wb));
                        acc[2 * k + half] = _mm256_add_epi32(acc[2 * k + half], _mm256_madd_epi16(pairs, ones));
                    }
                }
            }
        }
        for (; g < groups; g++) {
            const int8_t *w0 = wt + g * gstride;
            const __m256i wlo = _mm256_loadu_si256((const __m256i *)w0), whi = _mm256_loadu_si256((const __m256i *)(w0 + 32));
            for (int k = 0; k < pb; k++) {
                const __m256i a = _mm256_set1_epi32(load_u32(base[k] + off + 4 * g));
                // No saturation: 7-bit activations (2 · 127 · 127 < 32,768).
                acc[2 * k] = _mm256_add_epi32(acc[2 * k], _mm256_madd_epi16(_mm256_maddubs_epi16(a, wlo), ones));
                acc[2 * k + 1] = _mm256_add_epi32(acc[2 * k + 1], _mm256_madd_epi16(_mm256_maddubs_epi16(a, whi), ones));
            }
        }
    }
    for (int k = 0; k < pb; k++) {
        _mm256_storeu_si256((__m256i *)(out + (ptrdiff_t)k * cout16 + b * 16), acc[2 * k]);
        _mm256_storeu_si256((__m256i *)(out + (ptrdiff_t)k * cout16 + b * 16 + 8), acc[2 * k + 1]);
    }
}

/// Block by block, every pixel tile of a block before the next: the block's weights
/// (taps · cin4 · 16 bytes) stay in cache while the image, smaller than the weights in the deep
/// layers, is read again for each block. Tiles of 4 pixels (8 accumulators), the last one of the
/// 1 to 3 pixels left.
LK_AVX2 static void avx2_s32(const uint8_t *src, lepton_qconv_shape s, const int8_t *weights, int32_t *out) {
    const ptrdiff_t row = (ptrdiff_t)(s.w + 2) * s.cin4;
    const int blocks = s.cout16 / 16, pixels = out_size(s.h, s.stride) * out_size(s.w, s.stride);
    const uint8_t *base[4];
    for (int b = 0; b < blocks; b++) {
        for (int p = 0; p < pixels; p += 4) {
            const int pb = pixels - p < 4 ? pixels - p : 4;
            window_bases(src, s, p, pb, base);
            int32_t *o = out + (ptrdiff_t)p * s.cout16;
            switch (pb * 2 + (s.narrow ? 1 : 0)) {
            case 9: avx2_tile(base, row, s.cin4, s.ksize, weights, b, o, s.cout16, 4, 1); break;
            case 8: avx2_tile(base, row, s.cin4, s.ksize, weights, b, o, s.cout16, 4, 0); break;
            case 7: avx2_tile(base, row, s.cin4, s.ksize, weights, b, o, s.cout16, 3, 1); break;
            case 6: avx2_tile(base, row, s.cin4, s.ksize, weights, b, o, s.cout16, 3, 0); break;
            case 5: avx2_tile(base, row, s.cin4, s.ksize, weights, b, o, s.cout16, 2, 1); break;
            case 4: avx2_tile(base, row, s.cin4, s.ksize, weights, b, o, s.cout16, 2, 0); break;
            default: avx2_tile(base, row, s.cin4, s.ksize, weights, b, o, s.cout16, 1, 0); break;
            }
        }
    }
}

void lepton_qconv(const uint8_t *src, lepton_qconv_shape shape, const int8_t *weights, int32_t *out, int path) {
    if (path == 2) vnni_s32(src, shape, weights, out);
    else if (path == 1) avx2_s32(src, shape, weights, out);
    else naive_s32(src, shape, weights, out);
}

#else

int lepton_int8_vnni_available(void) { return 0; }
int lepton_int8_avx2_available(void) { return 0; }
void lepton_qconv(const uint8_t *src, lepton_qconv_shape shape, const int8_t *weights, int32_t *out, int path) {
    (void)path;
    naive_s32(src, shape, weights, out);
}

#endif

void lepton_qconv_s32(const uint8_t *src, int cin4, int h, int w, int ksize, const int8_t *weights, int cout16, int32_t *out, int path) {
    const lepton_qconv_shape shape = {.cin4 = cin4, .h = h, .w = w, .ksize = ksize, .stride = 1, .cout16 = cout16, .narrow = 0};
    lepton_qconv(src, shape, weights, out, path);
}

void lepton_q_im2col_single(const uint8_t *src, int h, int w, uint8_t *dst) {
    const ptrdiff_t srow = w + 2, drow = (ptrdiff_t)(w + 2) * 12;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *d = dst + (y + 1) * drow + (ptrdiff_t)(x + 1) * 12;
            for (int t = 0; t < 9; t++) d[t] = src[(y + t / 3) * srow + x + t % 3];
            d[9] = d[10] = d[11] = 0;
        }
}

// MARK: Epilogues (plain C, the same on every kernel path)

// Built for AVX-512, AVX2 and the baseline (element-wise float arithmetic without FMA
// contraction, and per-channel sums in pixel order: every clone gives the same codes).
#if defined(__x86_64__) && defined(__linux__) && !defined(LK_NO_CLONES)
#define LK_Q_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LK_Q_CLONES
#endif

/// v rounded half up and clamped to 0…127 (clamp first, so the truncating conversion of v + ½
/// rounds: it vectorises, where a call to a rounding function would not).
static inline uint8_t code7(float v) {
    const float c = v > 0 ? (v < 127 ? v : 127) : 0;  // NaN → 0
    return (uint8_t)(int32_t)(c + 0.5f);
}

LK_Q_CLONES void lepton_q_quantize_planes(const float *src, int c, int h, int w, float inv_scale, int zero, uint8_t *dst, int cin4) {
    const ptrdiff_t row = (ptrdiff_t)(w + 2) * cin4;
    for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                const float v = src[((ptrdiff_t)ch * h + y) * w + x];
                dst[(y + 1) * row + (ptrdiff_t)(x + 1) * cin4 + ch] = code7(v * inv_scale + (float)zero);
            }
}

LK_Q_CLONES void lepton_q_requantize_relu(const int32_t *sums, int h, int w, int cout16, int cout, const int32_t *zsum,
                                        const float *scale, const float *bias, float inv_out, uint8_t *dst,
                                        ptrdiff_t dst_row, ptrdiff_t dst_pixel) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const int32_t *s = sums + ((ptrdiff_t)y * w + x) * cout16;
            uint8_t *d = dst + y * dst_row + x * dst_pixel;
            for (int o = 0; o < cout; o++) {
                float f = (float)(s[o] - zsum[o]) * scale[o] + bias[o];
                f = f > 0 ? f : 0;
                d[o] = code7(f * inv_out);
            }
        }
}

LK_Q_CLONES void lepton_q_residual_relu(const int32_t *sums, int h, int w, int cout16, int cout, const float *scale, const float *bias,
                                      lepton_q_shortcut shortcut, float inv_out, uint8_t *dst, ptrdiff_t dst_row, ptrdiff_t dst_pixel,
                                      float *mean) {
    if (mean) for (int o = 0; o < cout; o++) mean[o] = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const ptrdiff_t p = (ptrdiff_t)y * w + x;
            const int32_t *s = sums + p * cout16;
            float f[cout];
            if (shortcut.codes) {
                const uint8_t *c = shortcut.codes + y * shortcut.row + x * shortcut.pixel;
                for (int o = 0; o < cout; o++) f[o] = (float)s[o] * scale[o] + bias[o] + (float)c[o] * shortcut.code_scale;
            } else {
                const int32_t *r = shortcut.sums + p * cout16;
                for (int o = 0; o < cout; o++) f[o] = (float)s[o] * scale[o] + bias[o] + ((float)r[o] * shortcut.scale[o] + shortcut.bias[o]);
            }
            if (mean) {
                for (int o = 0; o < cout; o++) mean[o] += f[o] > 0 ? f[o] : 0;
            } else {
                uint8_t *d = dst + y * dst_row + x * dst_pixel;
                for (int o = 0; o < cout; o++) d[o] = code7((f[o] > 0 ? f[o] : 0) * inv_out);
            }
        }
    if (mean) {
        const float inv = 1.0f / (float)(h * w);
        for (int o = 0; o < cout; o++) mean[o] *= inv;
    }
}

LK_Q_CLONES void lepton_q_pool2x2(const uint8_t *src, int h, int w, int c, uint8_t *dst, ptrdiff_t dst_row, ptrdiff_t dst_pixel) {
    const int ho = h / 2, wo = w / 2;
    for (int i = 0; i < ho; i++)
        for (int j = 0; j < wo; j++) {
            const uint8_t *a = src + ((ptrdiff_t)(2 * i) * w + 2 * j) * c, *b = a + c, *d0 = a + (ptrdiff_t)w * c, *d1 = d0 + c;
            uint8_t *o = dst + i * dst_row + j * dst_pixel;
            for (int k = 0; k < c; k++) {
                uint8_t m = a[k] > b[k] ? a[k] : b[k];
                const uint8_t n = d0[k] > d1[k] ? d0[k] : d1[k];
                o[k] = m > n ? m : n;
            }
        }
}

LK_Q_CLONES void lepton_q_relu_mean(const int32_t *sums, int pixels, int cout16, int cout, const int32_t *zsum,
                                  const float *scale, const float *bias, float *mean) {
    for (int o = 0; o < cout; o++) mean[o] = 0;
    for (int p = 0; p < pixels; p++) {
        const int32_t *s = sums + (ptrdiff_t)p * cout16;
        for (int o = 0; o < cout; o++) {
            const float f = (float)(s[o] - zsum[o]) * scale[o] + bias[o];
            mean[o] += f > 0 ? f : 0;
        }
    }
    const float inv = 1.0f / (float)pixels;
    for (int o = 0; o < cout; o++) mean[o] *= inv;
}
