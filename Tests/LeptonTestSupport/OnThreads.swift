import Foundation
import LeptonIO

/// `body(k)` for k in 0..<n, each on its own thread (all at once), results in order.
public func onThreads<T: Sendable>(_ n: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let results = Protected<[T?]>(Array(repeating: nil, count: n))
    let group = DispatchGroup()
    for k in 0..<n {
        group.enter()
        Thread.detachNewThread {
            let value = body(k)
            results.withLock { $0[k] = value }
            group.leave()
        }
    }
    group.wait()
    return results.withLock { $0.map { $0! } }
}
