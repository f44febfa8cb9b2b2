// Internal to CLeptonKernels: functions built twice, for AVX-512F and for the baseline
// instruction set, the loader picking the clone this processor runs (an ifunc; ELF on x86-64).
#ifndef LK_CLONES_H
#define LK_CLONES_H

#if defined(__x86_64__) && defined(__linux__)
#define LK_CLONES __attribute__((target_clones("avx512f", "default")))
#else
#define LK_CLONES
#endif

#endif
