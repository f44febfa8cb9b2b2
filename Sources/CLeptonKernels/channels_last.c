// Per-channel kernels over pixel-major rows (`rows` × `channels` floats, the channels of one pixel
// side by side), for the channels-last BatchNorm (LeptonCore/Layers/BatchNorm+ChannelsLast.swift).
// Plain C whose inner loops run across channels, so the compiler vectorises them without
// reordering any sum: each channel's values are added row by row, in order. Built for AVX-512F and
// for the baseline instruction set; the loader picks the clone this processor runs (ifunc). No
// multiply-add contraction, so both clones give the same bits.
#include "lepton_kernels.h"
#include "lk_clones.h"

#pragma clang fp contract(off)

LK_CLONES void lepton_rows_column_sums(const float *restrict x, ptrdiff_t rows, int channels, float *restrict sums) {
    for (int c = 0; c < channels; c++) sums[c] = 0;
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *row = x + r * channels;
        for (int c = 0; c < channels; c++) sums[c] += row[c];
    }
}

LK_CLONES void lepton_rows_squared_deviations(const float *restrict x, ptrdiff_t rows, int channels,
                                              const float *restrict mean, float *restrict sums) {
    for (int c = 0; c < channels; c++) sums[c] = 0;
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *row = x + r * channels;
        for (int c = 0; c < channels; c++) {
            const float d = row[c] - mean[c];
            sums[c] += d * d;
        }
    }
}

LK_CLONES void lepton_rows_normalize(const float *restrict x, ptrdiff_t rows, int channels, const float *restrict mean,
                                     const float *restrict scale, const float *restrict shift, int relu,
                                     float *restrict y) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *in = x + r * channels;
        float *out = y + r * channels;
        if (relu) {
            for (int c = 0; c < channels; c++) {
                const float v = (in[c] - mean[c]) * scale[c] + shift[c];
                out[c] = 0 >= v ? 0 : v; // Swift's max(v, 0): NaN stays NaN
            }
        } else {
            for (int c = 0; c < channels; c++) out[c] = (in[c] - mean[c]) * scale[c] + shift[c];
        }
    }
}

/// g where the ReLU passed it: by `mask` (the ReLU's output > 0), or by the recomputed output
/// `(x − mean)·relu_scale + relu_shift > 0`, or everywhere when both are NULL.
#define LK_MASKED_GRADIENT(g, d, mask, relu_scale, relu_shift, r, c, channels)                        \
    ((relu_scale) ? ((d) * (relu_scale)[c] + (relu_shift)[c] > 0 ? (g) : 0)                           \
     : (mask)     ? ((mask)[(r) * (channels) + (c)] > 0 ? (g) : 0)                                    \
                  : (g))

LK_CLONES void lepton_rows_gradient_sums(const float *restrict g, const float *restrict x, const float *restrict mask,
                                         const float *restrict relu_scale, const float *restrict relu_shift,
                                         ptrdiff_t rows, int channels, const float *restrict mean,
                                         float *restrict sum_g, float *restrict sum_gd) {
    for (int c = 0; c < channels; c++) sum_g[c] = sum_gd[c] = 0;
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *gr = g + r * channels, *xr = x + r * channels;
        for (int c = 0; c < channels; c++) {
            const float d = xr[c] - mean[c];
            const float gv = LK_MASKED_GRADIENT(gr[c], d, mask, relu_scale, relu_shift, r, c, channels);
            sum_g[c] += gv;
            sum_gd[c] += gv * d;
        }
    }
}

LK_CLONES void lepton_rows_batchnorm_input_gradient(const float *restrict g, const float *restrict x,
                                                    const float *restrict mask, const float *restrict relu_scale,
                                                    const float *restrict relu_shift, ptrdiff_t rows, int channels,
                                                    const float *restrict mean, const float *restrict k, int training,
                                                    float m, const float *restrict sum_g, const float *restrict slope,
                                                    float *restrict dx) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *gr = g + r * channels, *xr = x + r * channels;
        float *out = dx + r * channels;
        if (training) {
            for (int c = 0; c < channels; c++) {
                const float d = xr[c] - mean[c];
                const float gv = LK_MASKED_GRADIENT(gr[c], d, mask, relu_scale, relu_shift, r, c, channels);
                out[c] = k[c] * (m * gv - sum_g[c] - d * slope[c]);
            }
        } else {
            for (int c = 0; c < channels; c++) {
                const float d = xr[c] - mean[c];
                out[c] = LK_MASKED_GRADIENT(gr[c], d, mask, relu_scale, relu_shift, r, c, channels) * k[c];
            }
        }
    }
}
