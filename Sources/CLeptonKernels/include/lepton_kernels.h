// Direct 3×3 convolution kernels (stride 1, padding 1) for x86-64 processors with AVX-512F,
// called by LeptonCore/Layers/Conv2D+Direct.swift. Each function is compiled for AVX-512 alone
// (a per-function target attribute), so callers must check `lepton_conv3x3_direct_available()`
// first; the rest of the project stays on the baseline x86-64 instruction set.
//
// Layouts (all float32, row-major):
// - a padded plane: (h + 2) rows of `row` ≥ w + 2 floats, the image at rows 1…h, columns 1…w, and
//   zeros around it; the channels of one sample are `plane` floats apart.
// - pixel-major: one row per output pixel (oy·w + ox), one column per channel, `channels16`
//   (a multiple of 16) columns.
// - packed weights for `cin` input and `cout16` output channels: [cin][9][cout16], tap t = 3u + v.
#ifndef LEPTON_KERNELS_H
#define LEPTON_KERNELS_H

#include <stddef.h>
#include "lepton_int8.h"

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this processor and operating system support AVX-512F (the kernels below), else 0.
int lepton_conv3x3_direct_available(void);

/// `out[oy·w + ox][o] = Σ_{c, u, v} weights[c][3u + v][o] · src[c][(oy + u)·row + ox + v]` for
/// every pixel and all `cout16` output channels: a 3×3 convolution with padding 1 of one sample
/// whose padded planes start at `src`, written pixel-major (no bias).
void lepton_conv3x3_forward(const float *src, ptrdiff_t plane, ptrdiff_t row, int cin, int h, int w,
                            const float *weights, int cout16, float *out);

/// `lepton_conv3x3_forward` on pixel-major input: pixel (y, x) of the padded (h + 2) × (w + 2)
/// image starts at `src + (y·(w + 2) + x)·pixel` and holds its `cin` channels there (`pixel` ≥ cin
/// floats per pixel; the border pixels are zeros). Chains of convolutions pass activations this
/// way, with no transposes or padding copies in between.
void lepton_conv3x3_forward_pixel_major(const float *src, ptrdiff_t pixel, int cin, int h, int w,
                                        const float *weights, int cout16, float *out);

/// Adds one sample's weight gradient to `dweights` ([cin][9][cout16]):
/// `dweights[c][3u + v][o] += Σ_{oy, ox} gradient[oy·w + ox][o] · src[c][(oy + u)·row + ox + v]`,
/// with ∂L/∂y pixel-major in `gradient` (`cout16` columns) and the padded input planes in `src`.
void lepton_conv3x3_weight_gradient(const float *src, ptrdiff_t plane, ptrdiff_t row, int cin, int h, int w,
                                    const float *gradient, int cout16, float *dweights);

/// `dst[j·dst_ld + i] = f(src[i·src_ld + j])` for i < rows, j < cols, in 16 × 16 register blocks,
/// with `f(v) = v + bias[j]` (bias may be NULL: 0), then `max(·, 0)` when `relu` is nonzero.
void lepton_transpose(const float *src, ptrdiff_t src_ld, int rows, int cols, float *dst, ptrdiff_t dst_ld,
                      const float *bias, int relu);

/// One sample's `channels` planes of h × w floats (`src`, contiguous) into the interior of a padded
/// pixel-major image: pixel (y, x) goes to `dst + ((y + 1)·padded_w + x + 1)·channels`. Only the
/// interior is written. Sixteen pixels × sixteen channels per register transpose, whatever w is.
void lepton_pad_pixel_major(const float *src, int channels, int h, int w, float *dst, int padded_w);
/// The reverse: the interior of a padded pixel-major image back into `channels` planes of h × w.
void lepton_unpad_pixel_major(const float *src, int channels, int h, int w, int padded_w, float *dst);
/// 2×2 / stride-2 max-pool of a pixel-major (h × w pixels, `channels16` columns) block:
/// `dst[i·(w/2) + j][o] = max of src over pixels (2i + a)·w + 2j + b, a, b ∈ {0, 1}`, compared in
/// the order (0,0), (0,1), (1,0), (1,1), keeping the earlier on ties (as MaxPool2D does).
void lepton_pool2x2_pixel_major(const float *src, int h, int w, int channels16, float *dst);

/// The gradient of one h × w plane behind ReLU → 2×2 / stride-2 max-pool:
/// `dst[p] = pooled[k]` when p is window k's arg-max cell (`argmax[k]`, an offset in the plane)
/// and the ReLU passed it (`y[p] > 0`), else 0 — also on the last row and column when h or w is
/// odd. Sixteen cells at a time; equals Conv2D.unpool2x2 (its scalar twin).
void lepton_unpool2x2_relu(const float *pooled, const int *argmax, const float *y, int h, int w, float *dst);

/// As `lepton_unpool2x2_relu`, with the ReLU's mask read from the pooled output instead
/// (`output[k] > 0`: a window's maximum is its arg-max cell's ReLU output), so the full-size
/// activation is never needed.
void lepton_unpool2x2_pooled_mask(const float *pooled, const int *argmax, const float *output, int h, int w, float *dst);

/// Training forward of bias → ReLU → 2×2 / stride-2 max-pool on a pixel-major convolution tile
/// (h × w pixels, `channels16` columns): with `v = max(src + bias, 0)` per cell,
/// `dst[k][o]` = the window's largest v and `argmax[k][o]` = its cell's offset `y·w + x` in the
/// plane, comparing the cells in the order (0,0), (0,1), (1,0), (1,1) and keeping the earlier on
/// ties — exactly what ReLU then MaxPool2D record. `bias` holds `channels16` values.
void lepton_bias_relu_pool2x2_argmax_pixel_major(const float *src, int h, int w, int channels16, const float *bias,
                                                 float *dst, int *argmax);

/// Inference of bias → ReLU → 2×2 / stride-2 max-pool on a pixel-major tile (h × w pixels,
/// `channels16` columns): pooled pixel (i, j) is written at `dst + (i·dst_row_pixels + j)·channels16`
/// — e.g. straight into the interior of the next convolution's padded pixel-major input.
/// `bias` holds `channels16` values; the values equal `lepton_bias_relu_pool2x2_argmax_pixel_major`'s.
void lepton_bias_relu_pool2x2_pixel_major(const float *src, int h, int w, int channels16, const float *bias,
                                          float *dst, ptrdiff_t dst_row_pixels);

/// Inference of bias → ReLU → global average pool on a pixel-major tile (`pixels` rows,
/// `channels16` columns): `dst[o] = (Σ_p max(src[p][o] + bias[o], 0)) / pixels`, summed in pixel
/// order. `bias` holds `channels16` values.
void lepton_bias_relu_mean_pixel_major(const float *src, int pixels, int channels16, const float *bias, float *dst);

/// Copies `channels` planes of h × w floats (`src`, contiguous) into zero-padded planes
/// (`dst`, `plane` floats apart, rows of `row` = w + 2): every destination float is written, the
/// border with zeros. Rows of up to 14 floats move as one masked vector load and store.
void lepton_pad_planes(const float *src, int channels, int h, int w, float *dst, ptrdiff_t plane);

/// Winograd F(2×2, 3×3) (winograd.c): `tile (ty, tx)` covers output pixels 2ty…2ty + 1, 2tx…2tx + 1
/// and padded input pixels 2ty…2ty + 3, 2tx…2tx + 3; tile t = ty·tiles_w + tx. Transformed tiles
/// are stored as 16 matrices, one per tile position k = 4i + j, `k_stride` floats apart, each with
/// one row of `channels16` floats per tile.
///
/// Input transform of one sample, `v[k][t][c] = (Bᵀ d_t B)[i][j]`, from pixel-major padded input
/// (`padded_w` pixels per row, `channels16` floats per pixel, zeros outside the image, at least
/// 2·tiles_h + 2 rows and 2·tiles_w + 2 ≤ padded_w columns).
void lepton_winograd_input_transform(const float *src, int padded_w, int channels16, int tiles_h, int tiles_w,
                                     float *v, ptrdiff_t k_stride);
/// Output transform of one sample, `dst[(2ty + a)·w + 2tx + b][o] = (Aᵀ M_t A)[a][b]` for the
/// pixels inside the h × w image (pixel-major, `channels16` columns).
void lepton_winograd_output_transform(const float *m, ptrdiff_t k_stride, int channels16, int tiles_h, int tiles_w,
                                      int h, int w, float *dst);
/// Backward of the output transform, `dm[k][t][o] = (A G_t Aᵀ)[i][j]`, from one sample's
/// pixel-major ∂L/∂y (h × w pixels, `channels16` columns; zero past the image's edge).
void lepton_winograd_gradient_transform(const float *gradient, int channels16, int tiles_h, int tiles_w, int h, int w,
                                        float *dm, ptrdiff_t k_stride);
/// Backward of the input transform: adds `(B dV_t Bᵀ)[a][b]` to padded pixel (2ty + a, 2tx + b)
/// of `dst` (pixel-major, `padded_w` pixels per row) for every tile, in tile order.
void lepton_winograd_input_gradient_transform(const float *dv, ptrdiff_t k_stride, int channels16, int tiles_h,
                                              int tiles_w, float *dst, int padded_w);
/// Weight transform, `u[k][c][o] = (G g Gᵀ)[i][j]` (k = 4i + j) for every kernel g = weights[o][c]
/// (3×3, row-major) with o_begin ≤ o < o_end; `cout` and the range's ends multiples of 16 (so that
/// threads can take disjoint ranges).
void lepton_winograd_weight_transform(const float *weights, int cout, int cin, float *u, int o_begin, int o_end);
/// Its adjoint, `dweights[o][c] = Gᵀ X G` with `X[i][j] = du[4i + j][c][o]` (written, not added),
/// for o_begin ≤ o < o_end; `cout` and the range's ends multiples of 16. The ranges are trusted:
/// callers pass blocks of 16 within `cout`.
void lepton_winograd_weight_gradient_transform(const float *du, int cout, int cin, float *dweights, int o_begin, int o_end);
/// The same six functions for Winograd F(4×4, 3×3) (6 × 6 tiles, 36 matrices k = 6i + j): tile
/// (ty, tx) covers outputs 4ty…4ty + 3, 4tx…4tx + 3 and padded input 4ty…4ty + 5, 4tx…4tx + 5;
/// the padded input needs 4·tiles_h + 2 rows and 4·tiles_w + 2 ≤ padded_w columns.
void lepton_winograd4_input_transform(const float *src, int padded_w, int channels16, int tiles_h, int tiles_w,
                                      float *v, ptrdiff_t k_stride);
void lepton_winograd4_output_transform(const float *m, ptrdiff_t k_stride, int channels16, int tiles_h, int tiles_w,
                                       int h, int w, float *dst);
void lepton_winograd4_gradient_transform(const float *gradient, int channels16, int tiles_h, int tiles_w, int h, int w,
                                         float *dm, ptrdiff_t k_stride);
void lepton_winograd4_input_gradient_transform(const float *dv, ptrdiff_t k_stride, int channels16, int tiles_h,
                                               int tiles_w, float *dst, int padded_w);
void lepton_winograd4_weight_transform(const float *weights, int cout, int cin, float *u, int o_begin, int o_end);
void lepton_winograd4_weight_gradient_transform(const float *du, int cout, int cin, float *dweights, int o_begin, int o_end);
// Channels-last (pixel-major) rows, channels_last.c: `rows` × `channels` floats, any channel count,
// every processor (an AVX-512F clone where available). Sums run row by row for each channel.

/// `sums[c] = Σ_r x[r·channels + c]`.
void lepton_rows_column_sums(const float *x, ptrdiff_t rows, int channels, float *sums);
/// `sums[c] = Σ_r (x[r·channels + c] − mean[c])²`.
void lepton_rows_squared_deviations(const float *x, ptrdiff_t rows, int channels, const float *mean, float *sums);
/// `y = (x − mean[c])·scale[c] + shift[c]`, then `max(·, 0)` when `relu` is nonzero.
void lepton_rows_normalize(const float *x, ptrdiff_t rows, int channels, const float *mean, const float *scale,
                           const float *shift, int relu, float *y);
/// `sum_g[c] = Σ_r g'`, `sum_gd[c] = Σ_r g'·(x − mean[c])`, where g' is g through a ReLU's mask:
/// `mask > 0` when `mask` is given, `(x − mean[c])·relu_scale[c] + relu_shift[c] > 0` when
/// `relu_scale` is (then `mask` is ignored), else g itself.
void lepton_rows_gradient_sums(const float *g, const float *x, const float *mask, const float *relu_scale,
                               const float *relu_shift, ptrdiff_t rows, int channels, const float *mean,
                               float *sum_g, float *sum_gd);
/// Training (`training` nonzero): `dx = k[c]·(m·g' − sum_g[c] − (x − mean[c])·slope[c])`; inference:
/// `dx = g'·k[c]` (`m`, `sum_g` and `slope` unused). g' as in `lepton_rows_gradient_sums`.
void lepton_rows_batchnorm_input_gradient(const float *g, const float *x, const float *mask, const float *relu_scale,
                                          const float *relu_shift, ptrdiff_t rows, int channels, const float *mean,
                                          const float *k, int training, float m, const float *sum_g, const float *slope,
                                          float *dx);

/// One Adam / AdamW step over `count` elements (optimizers.c), in this order:
/// `g = gradient + l2·w`, `w −= lr·decoupled·w`, `m = b1·m + (1 − b1)·g`, `v = b2·v + (1 − b2)·g·g`,
/// `w −= lr·(m / c1) / (√(v / c2) + eps)`.
void lepton_adam_update(float *w, const float *gradient, float *m, float *v, ptrdiff_t count, float lr, float b1,
                        float b2, float eps, float c1, float c2, float l2, float decoupled);

/// `C (m × n) = A·B`, plus the old C when `accumulate` is nonzero (small_gemm.c, AVX-512F: check
/// `lepton_conv3x3_direct_available()`): A (m × k), B (k × n), all row-major with leading
/// dimensions lda, ldb, ldc; n a multiple of 16 (else the process traps: a caller's error). Each
/// element is one in-order sum over k (k = 0 without `accumulate` gives zeros).
void lepton_gemm_nn(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                    float *c, ptrdiff_t ldc, int accumulate);
/// `C (m × n) = Aᵀ·B` (plus the old C when `accumulate`), A stored (k × m) with leading dimension lda.
void lepton_gemm_tn(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                    float *c, ptrdiff_t ldc, int accumulate);

#ifdef __cplusplus
}
#endif
#endif
