#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Growable Float32 columns in C memory: `realloc` grows large blocks by remapping pages, so
/// growth neither copies nor touches what is already written.
///
/// Hot loops read ``rows`` and ``capacity`` once, write rows through ``pointers`` and publish
/// the new count with ``setRows(_:)``, so no per-row access goes through the class.
final class FloatColumns {
    let width: Int
    private(set) var rows = 0
    private(set) var capacity = 0
    /// `pointers[c]` holds column c.
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>

    init(width: Int, expectedRows: Int) {
        self.width = width
        pointers = .allocate(capacity: max(width, 1))
        pointers.initialize(repeating: nil, count: max(width, 1))
        reserve(max(expectedRows, 1024))
    }

    deinit {
        for c in 0..<width { free(pointers[c]) }
        pointers.deallocate()
    }

    /// Makes room for one more row and returns its index.
    @inline(__always)
    func appendRow() -> Int {
        if rows == capacity { reserve(capacity * 2) }
        rows += 1
        return rows - 1
    }

    /// Records that rows `0..<count` are written (`count` ≤ ``capacity``).
    func setRows(_ count: Int) {
        precondition(count <= capacity, "more rows than capacity")
        rows = count
    }

    /// Doubles the capacity (rows already written stay in place or are moved by `realloc`).
    func grow() { reserve(capacity * 2) }

    private func reserve(_ newCapacity: Int) {
        for c in 0..<width {
            guard let grown = realloc(pointers[c], newCapacity * MemoryLayout<Float>.stride) else {
                fatalError("out of memory growing a column to \(newCapacity) rows")
            }
            pointers[c] = grown.assumingMemoryBound(to: Float.self)
        }
        capacity = newCapacity
    }
}
