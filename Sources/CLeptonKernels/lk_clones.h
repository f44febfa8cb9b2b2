// Internal to CLeptonKernels: functions built twice, for AVX-512F and for the baseline
// instruction set, the loader picking the clone this processor runs (an ifunc; ELF on x86-64).
// Under ThreadSanitizer only the baseline is built: an ifunc resolver runs while the loader
// relocates, before TSan's runtime exists, and instrumented it crashes the process.
#ifndef LK_CLONES_H
#define LK_CLONES_H

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LK_NO_CLONES 1
#endif
#endif

#if defined(__x86_64__) && defined(__linux__) && !defined(LK_NO_CLONES)
#define LK_CLONES __attribute__((target_clones("avx512f", "default")))
#else
#define LK_CLONES
#endif

#endif
