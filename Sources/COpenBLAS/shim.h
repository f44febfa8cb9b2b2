// OpenBLAS (Debian: libopenblas-dev, pthread variant). Only LeptonCore/Tensor/BLAS.swift imports this.
#ifndef LEPTON_COPENBLAS_SHIM_H
#define LEPTON_COPENBLAS_SHIM_H
#include <cblas.h>

// Debian builds OpenBLAS with DYNAMIC_ARCH: the kernel table (`gotoblas`) is chosen once when the
// library loads, from the CPU model or from the OPENBLAS_CORETYPE environment variable. These two
// entry points (exported, not in any header) drop and redo that choice. Weak, so a build without
// DYNAMIC_ARCH still links and simply keeps its kernels.
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

/// 1 when the CPU and the operating system support the AVX-512 subsets OpenBLAS's SkylakeX
/// kernels use (F, BW, DQ, VL; the compiler runtime checks XCR0 for the ZMM state).
static inline int lepton_cpu_has_avx512_for_blas(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}

/// 1 when OpenBLAS can re-select its kernels at run time (a DYNAMIC_ARCH build).
static inline int lepton_openblas_can_reselect_kernels(void) {
    return gotoblas_dynamic_init != 0 && gotoblas_dynamic_quit != 0;
}

/// Re-runs OpenBLAS's kernel selection, which reads OPENBLAS_CORETYPE again. Call only while no
/// BLAS call is running in any thread.
static inline void lepton_openblas_reselect_kernels(void) {
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
}
#endif
