// Compiler intrinsics Swift does not expose (header-only: nothing to link).
// Only LeptonCore/Trees/Histogram.swift imports this.
#ifndef LEPTON_CINTRINSICS_SHIM_H
#define LEPTON_CINTRINSICS_SHIM_H

/// Hints the processor to bring the cache line holding `p` into all cache levels (a read).
/// A hint only: it never faults, and its instruction retires without waiting for memory.
static inline __attribute__((always_inline)) void lepton_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

#endif
