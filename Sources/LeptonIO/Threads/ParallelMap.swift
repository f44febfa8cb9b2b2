import Synchronization

extension Parallel {
    /// `body(k)` for k in 0..<count, computed on `threads` threads (each taking the next k from a
    /// shared counter, so uneven tasks balance), results in k order — the project's one work
    /// queue for coarse tasks (the parts of a file, one characteristic each). Every task runs
    /// even when one throws; then the error of the lowest k is rethrown.
    public static func map<T: Sendable>(_ count: Int, threads: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
        guard count > 0 else { return [] }
        let results = UnsafeResultBox<T>(count: count)
        let next = Atomic<Int>(0)
        run(max(1, min(threads, count))) { _ in
            while true {
                let k = next.add(1, ordering: .relaxed).oldValue
                guard k < count else { return }
                results.set(k, Result { try body(k) })
            }
        }
        return try results.values.map { try $0!.get() }
    }

    /// ``map(_:threads:_:)`` for tasks that cannot fail.
    public static func map<T: Sendable>(_ count: Int, threads: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        // Safe: `body` does not throw, so neither does the throwing map.
        try! map(count, threads: threads) { (k: Int) throws -> T in body(k) }
    }
}
