extension Array {
    /// `Array(unsafeUninitializedCapacity:initializingWith:)` for an array whose `count` elements
    /// `initialize` writes, every one — except that a count of 0 gives `[]` without calling the
    /// standard library's initialiser, which even then writes the count of the one empty-array
    /// storage every empty array shares: two threads doing it at once is a data race
    /// (ThreadSanitizer reported it in `make sanitize`), harmless in practice but not in principle.
    package init(writingEvery count: Int, _ initialize: (UnsafeMutableBufferPointer<Element>) throws -> Void) rethrows {
        precondition(count >= 0, "an array of \(count) elements")
        guard count > 0 else {
            self = []
            return
        }
        try self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            try initialize(UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
            initialized = count
        }
    }
}
