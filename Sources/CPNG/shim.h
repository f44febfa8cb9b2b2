// libpng 1.6 simplified API (png_image_*), which keeps libpng's longjmp inside C.
#ifndef LEPTON_CPNG_SHIM_H
#define LEPTON_CPNG_SHIM_H
#include <png.h>

// Composite PNG_FORMAT_* macros do not import into Swift; these constants mirror them.
static const png_uint_32 lepton_png_format_gray = PNG_FORMAT_GRAY;
static const png_uint_32 lepton_png_format_ga = PNG_FORMAT_GA;
static const png_uint_32 lepton_png_format_rgb = PNG_FORMAT_RGB;
static const png_uint_32 lepton_png_format_rgba = PNG_FORMAT_RGBA;
static const png_uint_32 lepton_png_format_flag_alpha = PNG_FORMAT_FLAG_ALPHA;
static const png_uint_32 lepton_png_format_flag_color = PNG_FORMAT_FLAG_COLOR;
static const png_uint_32 lepton_png_format_flag_linear = PNG_FORMAT_FLAG_LINEAR;
static const png_uint_32 lepton_png_format_flag_colormap = PNG_FORMAT_FLAG_COLORMAP;
static const png_uint_32 lepton_png_image_version = PNG_IMAGE_VERSION;

/// True when the last png_image_* call failed (PNG_IMAGE_FAILED); false for success or warnings only.
static inline int lepton_png_image_failed(const png_image *image) {
    return PNG_IMAGE_FAILED(*image);
}

#endif
