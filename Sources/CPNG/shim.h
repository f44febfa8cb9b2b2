// libpng 1.6 simplified API (png_image_*), which keeps libpng's longjmp inside C.
#ifndef LEPTON_CPNG_SHIM_H
#define LEPTON_CPNG_SHIM_H
#include <png.h>
#endif
