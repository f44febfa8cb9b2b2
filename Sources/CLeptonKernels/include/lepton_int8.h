// Int8 inference kernels for 3×3 (padding 1) and 1×1 convolutions, stride 1 or 2, called by
// LeptonCore/Compression/Int8 (Int8Kernels.swift). Three paths compute the same int32 sums:
// AVX-512 VNNI (vpdpbusd), AVX2 (vpmaddubsw + vpmaddwd) and a naive C loop. The vector paths
// are compiled for their instruction sets alone (per-function target attributes): callers
// check `lepton_int8_vnni_available()` / `lepton_int8_avx2_available()` first.
//
// Activations are unsigned 7-bit codes (0…127) so that vpmaddubsw's pairwise sums of u8 × s8
// products (at most 2 · 127 · 127 = 32,258) never saturate int16: every path gives the same sums.
// Weights are signed 8-bit (−127…127).
//
// Layouts:
// - a padded channels-last image: pixel (y, x) of the (h + 2) × (w + 2) image at
//   `src + (y·(w + 2) + x)·cin4` bytes, `cin4` (a multiple of 4) channels per pixel; the image at
//   rows and columns 1…h, 1…w, its border filled with the input's zero point.
// - packed weights, block-major: [cout16 / 16 blocks][ksize² taps][cin4 / 4 groups][16 channels]
//   [4 inputs], tap t = 3u + v, inputs 4g…4g+3 of the group; unused channels are zero. Each
//   block's codes are contiguous, so a deep layer's block (up to taps · cin4 · 16 bytes) stays in
//   cache while every pixel tile reads it.
// - sums: int32 [h·w pixels][cout16].
#ifndef LEPTON_INT8_H
#define LEPTON_INT8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this processor supports AVX-512F, AVX-512BW and AVX-512 VNNI.
int lepton_int8_vnni_available(void);
/// 1 when this processor supports AVX2.
int lepton_int8_avx2_available(void);

/// The geometry of one int8 convolution over a padded channels-last image.
typedef struct {
    /// Input channels (a multiple of 4) and the image's interior height and width.
    int cin4, h, w;
    /// 3 (a 3×3 window, padding 1) or 1 (the window's centre, no padding), and the stride: the
    /// output is ((h − 1) / stride + 1) × ((w − 1) / stride + 1) pixels, output pixel (i, j)
    /// reading the window whose top-left is padded pixel (i·stride, j·stride).
    int ksize, stride;
    /// Output channels, a multiple of 16.
    int cout16;
    /// 1 when every weight is within ±63: the AVX2 path then adds two groups' int16 pair sums
    /// before widening (exact: 4 · 127 · 63 < 32,768). Other paths ignore it.
    int narrow;
} lepton_qconv_shape;

/// The int32 sums of one sample's convolution, `out[p][o] = Σ_{t, c} w[t][c][o] · src[window(p) + t][c]`
/// (weights [cout16 / 16][ksize²][cin4 / 4][16][4]). `path`: 2 VNNI, 1 AVX2, 0 naive (the
/// reference); a path the processor lacks must not be asked for.
void lepton_qconv(const uint8_t *src, lepton_qconv_shape shape, const int8_t *weights, int32_t *out, int path);

/// `out[p][o] = Σ_{t, c} w[t][c][o] · src[window(p) + t][c]`: the int32 sums of one sample's 3×3
/// convolution (`ksize` 3: taps t = 3u + v) or 1×1 convolution (`ksize` 1: one tap, the window's
/// centre, weights [cout16 / 16][1][cin4 / 4][16][4]) over the padded image. `path`: 2 VNNI,
/// 1 AVX2, 0 naive (the reference); a path the processor lacks must not be asked for.
void lepton_qconv_s32(const uint8_t *src, int cin4, int h, int w, int ksize, const int8_t *weights, int cout16,
                      int32_t *out, int path);

/// A one-channel padded image (row `w + 2` bytes, no channel padding) unfolded into the interior
/// of a padded channels-last image of 12 channels: pixel (y, x) gets its 3×3 window's 9 codes
/// (t = 3u + v) and 3 zeros. A first convolution with one input channel then runs as a 1×1
/// convolution over 12 channels: 3 groups of 4 per pixel instead of 9 taps of one.
void lepton_q_im2col_single(const uint8_t *src, int h, int w, uint8_t *dst);

/// Quantizes `c` float planes of h × w (contiguous) into the interior of a padded channels-last
/// image with `cin4` channels per pixel: `q = clamp(round(x · inv_scale) + zero, 0, 127)`.
void lepton_q_quantize_planes(const float *src, int c, int h, int w, float inv_scale, int zero, uint8_t *dst, int cin4);

/// The epilogue of a convolution followed by ReLU: for pixel p and channel o < cout,
/// `f = (sums[p][o] − zsum[o]) · scale[o] + bias[o]`, `q = clamp(round(max(f, 0) · inv_out), 0, 127)`,
/// written to `dst + (p / w)·dst_row + (p mod w)·dst_pixel + o`.
void lepton_q_requantize_relu(const int32_t *sums, int h, int w, int cout16, int cout, const int32_t *zsum,
                              const float *scale, const float *bias, float inv_out, uint8_t *dst,
                              ptrdiff_t dst_row, ptrdiff_t dst_pixel);

/// The shortcut of a residual block, in float: either the block input's codes times their scale
/// (identity: `codes` not NULL, channel o of pixel (y, x) at `codes + y·row + x·pixel + o`) or a
/// projection's int32 sums [p][cout16] as `sums · scale[o] + bias[o]` (`codes` NULL).
typedef struct {
    const uint8_t *codes;
    ptrdiff_t row, pixel;
    float code_scale;
    const int32_t *sums;
    const float *scale, *bias;
} lepton_q_shortcut;

/// The epilogue of a residual block's second convolution: `f = sums[p][o] · scale[o] + bias[o] + shortcut`,
/// then ReLU, then either 7-bit codes `clamp(round(max(f, 0) · inv_out), 0, 127)` written to
/// `dst + (p / w)·dst_row + (p mod w)·dst_pixel + o`, or (when `mean` is not NULL) the mean over
/// the h × w pixels of max(f, 0) per channel (global average pooling), `dst` unused.
void lepton_q_residual_relu(const int32_t *sums, int h, int w, int cout16, int cout, const float *scale, const float *bias,
                            lepton_q_shortcut shortcut, float inv_out, uint8_t *dst, ptrdiff_t dst_row, ptrdiff_t dst_pixel,
                            float *mean);

/// 2×2 / stride-2 max-pool of an h × w channels-last block of `c` channels (contiguous pixels),
/// written to `dst + i·dst_row + j·dst_pixel` for output pixel (i, j).
void lepton_q_pool2x2(const uint8_t *src, int h, int w, int c, uint8_t *dst, ptrdiff_t dst_row, ptrdiff_t dst_pixel);

/// The epilogue of a last convolution followed by ReLU and global average pooling:
/// `mean[o] = (1 / P) Σ_p max((sums[p][o] − zsum[o]) · scale[o] + bias[o], 0)`.
void lepton_q_relu_mean(const int32_t *sums, int pixels, int cout16, int cout, const int32_t *zsum,
                        const float *scale, const float *bias, float *mean);

#ifdef __cplusplus
}
#endif

#endif
