import Dispatch
import Foundation
import LeptonIO

/// How many threads LeptonCore's kernels use: the Swift kernels (im2col, pooling, element-wise
/// work split over the batch) and OpenBLAS alike.
///
/// Process-global, like OpenBLAS's own setting: change it from one place at a time (the
/// ``Trainer`` does so at the start of `fit`).
public enum Threading {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var current = ThreadCount.auto.resolved

    /// The number of threads kernels currently use (at least 1).
    public static var count: Int {
        lock.lock(); defer { lock.unlock() }
        return current
    }

    /// Sets the number of threads for Swift kernels and for BLAS.
    public static func setCount(_ n: Int) {
        precondition(n >= 1, "thread count must be at least 1")
        lock.lock()
        current = n
        lock.unlock()
        BLAS.setThreadCount(n)
    }

    /// The number of cores this process may use.
    public static var availableCores: Int { ThreadCount.onlineCores }
}

/// The core's one parallel loop: splits `0..<count` into at most `threads` contiguous chunks of
/// at least `minimumPerThread` indices (default ``Threading/count`` threads) and runs `body` on
/// each, concurrently, over `DispatchQueue.concurrentPerform`. With one thread (or tiny work) it
/// runs inline, so results never depend on scheduling: every index is processed exactly once,
/// and bodies must write only to disjoint memory.
@inline(__always)
func parallelFor(_ count: Int, threads: Int = Threading.count, minimumPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let threads = min(max(1, threads), max(1, count / max(1, minimumPerThread)))
    if threads <= 1 {
        body(0..<count)
        return
    }
    let chunk = (count + threads - 1) / threads
    withoutActuallyEscaping(body) { escapable in
        // Safe: concurrentPerform returns only after every iteration finished, so the closure
        // does not outlive this call; callers guarantee the chunks touch disjoint memory.
        let box = UncheckedSendableBox(escapable)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let lo = t * chunk
            let hi = min(count, lo + chunk)
            if lo < hi { box.value(lo..<hi) }
        }
    }
}

/// Runs tasks `0..<tasks` on `threads` workers (worker w runs tasks w, w + threads, …). The
/// task decomposition is fixed by the caller, so results do not depend on the thread count.
func parallelTasks(_ tasks: Int, threads: Int, _ body: (Int) -> Void) {
    guard tasks > 0 else { return }
    let t = min(max(1, threads), tasks)
    if t <= 1 {
        for k in 0..<tasks { body(k) }
        return
    }
    withoutActuallyEscaping(body) { escapable in
        // Safe: concurrentPerform returns only after every iteration has finished.
        let box = UncheckedSendableBox(escapable)
        DispatchQueue.concurrentPerform(iterations: t) { w in
            var k = w
            while k < tasks { box.value(k); k += t }
        }
    }
}

/// Carries a value into a `@Sendable` closure when the caller has established that the
/// concurrent uses are race-free (disjoint writes, read-only shared data).
struct UncheckedSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
