// Compiler intrinsics and C library settings Swift does not expose (header-only: nothing to link).
// Only LeptonCore/Trees/Histogram.swift (prefetch), LeptonCore/Serialization/CRC32Streaming.swift
// (carry-less multiply CRC-32) and LeptonCore/Tensor/MemoryRetention.swift (malloc settings)
// import this.
#ifndef LEPTON_CINTRINSICS_SHIM_H
#define LEPTON_CINTRINSICS_SHIM_H

#include <stddef.h>
#include <stdint.h>

/// Hints the processor to bring the cache line holding `p` into all cache levels (a read).
/// A hint only: it never faults, and its instruction retires without waiting for memory.
static inline __attribute__((always_inline)) void lepton_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

#if defined(__GLIBC__)
#include <malloc.h>
#endif

/// With `retain` nonzero, glibc's malloc serves blocks of up to 32 MB from its heap and never trims
/// the heap; with 0, the heap is trimmed again above 64 MB free and what is free now goes back to
/// the system. Either way the mmap threshold stays at 32 MB: setting any threshold ends glibc's own
/// adjustment of it, which would have raised it towards that same ceiling (32 MB, trim at twice
/// that) as a program freed large blocks. Returns 1 when the settings were applied (glibc), else 0.
static inline int lepton_malloc_retain_freed_memory(int retain) {
#if defined(__GLIBC__)
    if (retain) {
        return mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) && mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
    }
    int ok = mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    malloc_trim(0);
    return ok;
#else
    (void)retain;
    return 0;
#endif
}

#if defined(__x86_64__)
#include <immintrin.h>

/// Whether this processor has PCLMULQDQ and SSE4.1 (what `lepton_crc32_fold` needs).
static inline int lepton_crc32_fold_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}

/// CRC-32 (IEEE, reflected) of `len` bytes, `len` ≥ 64 and a multiple of 16, folding 64 bytes at
/// a time with carry-less multiplication, then a Barrett reduction ("Fast CRC Computation for
/// Generic Polynomials Using PCLMULQDQ Instruction", Gopal, Ozturk et al., Intel 2009; as in
/// Chromium's zlib). `state` and the result are the CRC register (the checksum's complement).
/// Call only when `lepton_crc32_fold_available()`.
__attribute__((target("pclmul,sse4.1")))
static inline uint32_t lepton_crc32_fold(uint32_t state, const unsigned char *buf, size_t len) {
    const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
    const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
    const __m128i k5k0 = _mm_set_epi64x(0x0000000000, 0x0163cd6124);
    const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);
    __m128i x0, x1, x2, x3, x4, x5, x6, x7, x8, y5, y6, y7, y8;

    x1 = _mm_loadu_si128((const __m128i *)(buf + 0x00));
    x2 = _mm_loadu_si128((const __m128i *)(buf + 0x10));
    x3 = _mm_loadu_si128((const __m128i *)(buf + 0x20));
    x4 = _mm_loadu_si128((const __m128i *)(buf + 0x30));
    x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)state));
    x0 = k1k2;
    buf += 64;
    len -= 64;
    while (len >= 64) {
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x6 = _mm_clmulepi64_si128(x2, x0, 0x00);
        x7 = _mm_clmulepi64_si128(x3, x0, 0x00);
        x8 = _mm_clmulepi64_si128(x4, x0, 0x00);
        x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
        x2 = _mm_clmulepi64_si128(x2, x0, 0x11);
        x3 = _mm_clmulepi64_si128(x3, x0, 0x11);
        x4 = _mm_clmulepi64_si128(x4, x0, 0x11);
        y5 = _mm_loadu_si128((const __m128i *)(buf + 0x00));
        y6 = _mm_loadu_si128((const __m128i *)(buf + 0x10));
        y7 = _mm_loadu_si128((const __m128i *)(buf + 0x20));
        y8 = _mm_loadu_si128((const __m128i *)(buf + 0x30));
        x1 = _mm_xor_si128(_mm_xor_si128(x1, x5), y5);
        x2 = _mm_xor_si128(_mm_xor_si128(x2, x6), y6);
        x3 = _mm_xor_si128(_mm_xor_si128(x3, x7), y7);
        x4 = _mm_xor_si128(_mm_xor_si128(x4, x8), y8);
        buf += 64;
        len -= 64;
    }
    // Fold the four lanes into one.
    x0 = k3k4;
    x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
    x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x3), x5);
    x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x4), x5);
    // Single folds of 16 bytes.
    while (len >= 16) {
        x2 = _mm_loadu_si128((const __m128i *)buf);
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
        buf += 16;
        len -= 16;
    }
    // 128 bits to 64.
    x2 = _mm_clmulepi64_si128(x1, x0, 0x10);
    x3 = _mm_setr_epi32(~0, 0, ~0, 0);
    x1 = _mm_srli_si128(x1, 8);
    x1 = _mm_xor_si128(x1, x2);
    x0 = k5k0;
    x2 = _mm_srli_si128(x1, 4);
    x1 = _mm_and_si128(x1, x3);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_xor_si128(x1, x2);
    // Barrett reduction to 32 bits.
    x0 = poly;
    x2 = _mm_and_si128(x1, x3);
    x2 = _mm_clmulepi64_si128(x2, x0, 0x10);
    x2 = _mm_and_si128(x2, x3);
    x2 = _mm_clmulepi64_si128(x2, x0, 0x00);
    x1 = _mm_xor_si128(x1, x2);
    return (uint32_t)_mm_extract_epi32(x1, 1);
}
#else
static inline int lepton_crc32_fold_available(void) { return 0; }
static inline uint32_t lepton_crc32_fold(uint32_t state, const unsigned char *buf, size_t len) {
    (void)buf; (void)len; return state;
}
#endif

#endif
