internal import CLeptonIntrinsics
import LeptonIO

/// Keeps the memory of freed tensors inside the process while training runs.
///
/// glibc's malloc serves a block above a threshold with its own `mmap` and unmaps it on free, and
/// trims the heap's top once more than another threshold is free. A training step frees and
/// allocates the same activation-sized tensors in every batch, so by default every batch paid for
/// fresh pages again: a page fault and the kernel zeroing each 4 KB page (`clear_page_erms`,
/// 8–15% of a ResNet-18 epoch under `perf`). Inside ``retainingFreedMemory(_:)`` blocks of up to
/// 32 MB (glibc's ceiling for that threshold) come from the heap and the heap is never trimmed;
/// when the last such scope ends, trimming resumes above 64 MB free (where glibc's own adaptive
/// thresholds end up once a program has freed large blocks) and the free memory goes back to the
/// system (`malloc_trim`). Peak memory is unchanged: it is the memory the step needs
/// anyway, kept instead of returned and faulted in again. On ResNet-18 (256 images, batch 128,
/// 2 threads) an epoch went from 1.70–1.86 s to 1.47 s. Elsewhere than glibc this does nothing.
enum MemoryRetention {
    /// How many scopes are open (training runs may nest or overlap on different threads).
    private static let openScopes = Protected(0)
    static func retainingFreedMemory<R>(_ body: () throws -> R) rethrows -> R {
        openScopes.withLock { count in
            if count == 0 { retain(true) }
            count += 1
        }
        defer {
            openScopes.withLock { count in
                count -= 1
                if count == 0 { retain(false) }
            }
        }
        return try body()
    }

    private static func retain(_ on: Bool) {
        _ = lepton_malloc_retain_freed_memory(on ? 1 : 0)
    }
}
