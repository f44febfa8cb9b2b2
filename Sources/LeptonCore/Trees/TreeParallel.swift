import Dispatch

/// Resolves a configured thread count: 0 means ``Threading/count``.
func resolvedTreeThreads(_ configured: Int) -> Int {
    configured > 0 ? configured : Threading.count
}

/// Splits `0..<count` into at most `threads` contiguous chunks of at least `minimumPerThread`
/// indices and runs `body` on each, concurrently. Bodies must write only to disjoint memory;
/// results never depend on the split because every index is processed by exactly one body.
func treeParallelFor(_ count: Int, threads: Int, minimumPerThread: Int, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let t = min(max(1, threads), max(1, count / max(1, minimumPerThread)))
    if t <= 1 {
        body(0..<count)
        return
    }
    let chunk = (count + t - 1) / t
    withoutActuallyEscaping(body) { escapable in
        // Safe: concurrentPerform returns only after every iteration has finished.
        let box = UncheckedSendableBox(escapable)
        DispatchQueue.concurrentPerform(iterations: t) { k in
            let lo = k * chunk, hi = min(count, lo + chunk)
            if lo < hi { box.value(lo..<hi) }
        }
    }
}

/// Runs tasks `0..<tasks` on `threads` workers (worker w runs tasks w, w + threads, …). The
/// task decomposition is fixed by the caller, so results do not depend on the thread count.
func treeParallelTasks(_ tasks: Int, threads: Int, _ body: (Int) -> Void) {
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
