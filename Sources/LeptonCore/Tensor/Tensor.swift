import Foundation
import LeptonIO

/// A dense, contiguous, row-major array of `Float` values with a shape.
///
/// Value semantics with copy on write: copying a tensor is O(1) and the storage is duplicated
/// only when one of the copies is mutated. Reshaping (``reshaped(_:)``, ``flattenedBatch()``)
/// shares the storage and never copies. The storage itself is internal; raw pointers are
/// available only inside ``withUnsafeBufferPointer(_:)`` / ``withUnsafeMutableBufferPointer(_:)``.
///
/// Convention for images: (N, C, H, W); for tabular batches: (N, F).
public struct Tensor: Sendable, Equatable, CustomStringConvertible {
    /// The extent of every axis; the product is ``count``.
    public private(set) var shape: [Int]
    /// Contiguous row-major storage (`Array` provides the copy-on-write).
    @usableFromInline internal var storage: [Float]

    // MARK: Creation

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        self.shape = shape
        self.storage = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor of `shape` holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == scalars.count,
                     "Tensor: shape \(shape) needs \(shape.reduce(1, *)) values, got \(scalars.count)")
        self.shape = shape
        self.storage = scalars
    }

    /// A tensor of `shape` whose storage `body` fills: it receives uninitialised memory and must
    /// write every element (for kernels that overwrite their whole output, to skip zero-filling).
    /// For a shape of no elements `body` is not called.
    init(shape: [Int], initializingWith body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        let count = shape.reduce(1, *)
        self.shape = shape
        self.storage = [Float](writingEvery: count, body)
    }

    /// Whether both tensors hold the very same storage (one was copied from the other and
    /// neither has been written since: a write copies shared storage first).
    func sharesStorage(with other: Tensor) -> Bool {
        storage.withUnsafeBufferPointer { a in other.storage.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
            && storage.count == other.storage.count
    }

    /// A rank-1 tensor holding `scalars`.
    public init(_ scalars: [Float]) { self.init(shape: [scalars.count], scalars: scalars) }

    /// Zeros of `shape`.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape) }
    /// Ones of `shape`.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

    /// Samples from U(low, high).
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                               using rng: inout SeededGenerator) -> Tensor {
        var t = Tensor(shape: shape)
        for i in 0..<t.count { t.storage[i] = low + (high - low) * rng.nextUniform() }
        return t
    }

    /// Samples from N(mean, std²).
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1,
                              using rng: inout SeededGenerator) -> Tensor {
        var t = Tensor(shape: shape)
        for i in 0..<t.count { t.storage[i] = mean + std * rng.nextNormal() }
        return t
    }

    /// He (Kaiming) normal initialisation for ReLU networks: N(0, 2 / fanIn).
    public static func heNormal(_ shape: [Int], fanIn: Int, using rng: inout SeededGenerator) -> Tensor {
        normal(shape, std: (2 / Float(Swift.max(fanIn, 1))).squareRoot(), using: &rng)
    }

    /// Xavier (Glorot) uniform initialisation: U(−a, a) with a = √(6 / (fanIn + fanOut)).
    public static func xavierUniform(_ shape: [Int], fanIn: Int, fanOut: Int,
                                     using rng: inout SeededGenerator) -> Tensor {
        let a = (6 / Float(Swift.max(fanIn + fanOut, 1))).squareRoot()
        return uniform(shape, low: -a, high: a, using: &rng)
    }

    // MARK: Shape

    /// Number of elements.
    public var count: Int { storage.count }
    /// Number of axes.
    public var rank: Int { shape.count }
    /// All elements in row-major order (shares storage until mutated).
    public var scalars: [Float] { storage }

    /// The same values with a new shape of equal element count; no copy. One entry may be −1
    /// (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let unknown = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != unknown }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "reshape: cannot infer \(newShape) from \(shape)")
            s[unknown] = count / known
        }
        precondition(s.reduce(1, *) == count, "reshape: \(shape) has \(count) values, \(s) needs \(s.reduce(1, *))")
        var t = self
        t.shape = s
        return t
    }

    /// (N, d1, d2, …) → (N, d1·d2·…); no copy.
    public func flattenedBatch() -> Tensor {
        precondition(rank >= 1, "flattenedBatch needs a batch axis")
        return reshaped([shape[0], shape.dropFirst().reduce(1, *)])
    }

    /// Elements per item along axis 0 (the product of the remaining axes).
    public var itemSize: Int { shape.dropFirst().reduce(1, *) }

    /// The items `indices` along axis 0, in that order (a gather; copies).
    public func gatherBatch(_ indices: [Int]) -> Tensor {
        precondition(rank >= 1, "gatherBatch needs a batch axis")
        let size = itemSize
        var out = Tensor(shape: [indices.count] + shape.dropFirst())
        storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for (row, index) in indices.enumerated() {
                    precondition(index >= 0 && index < shape[0], "gatherBatch: index \(index) out of 0..<\(shape[0])")
                    // Safe: both ranges lie inside their buffers (checked index, equal item sizes).
                    (dst.baseAddress! + row * size).update(from: src.baseAddress! + index * size, count: size)
                }
            }
        }
        return out
    }

    /// The contiguous items `range` along axis 0 (copies).
    public func sliceBatch(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "sliceBatch: bad range \(range)")
        let size = itemSize
        return Tensor(shape: [range.count] + shape.dropFirst(),
                      scalars: Array(storage[(range.lowerBound * size)..<(range.upperBound * size)]))
    }

    /// Stacks tensors of equal shape (N_i, …) along axis 0.
    public static func concatenateBatch(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "concatenateBatch needs at least one tensor")
        let tail = Array(parts[0].shape.dropFirst())
        var values: [Float] = []
        values.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        var n = 0
        for p in parts {
            precondition(Array(p.shape.dropFirst()) == tail, "concatenateBatch: shape mismatch")
            values.append(contentsOf: p.storage)
            n += p.shape[0]
        }
        return Tensor(shape: [n] + tail, scalars: values)
    }

    // MARK: Element access

    /// Row-major offset of a multi-index.
    @inlinable
    func offset(_ indices: [Int]) -> Int {
        precondition(indices.count == shape.count, "Tensor: \(indices.count) indices for rank \(shape.count)")
        var o = 0
        for (i, d) in zip(indices, shape) {
            precondition(i >= 0 && i < d, "Tensor: index \(indices) out of bounds for \(shape)")
            o = o * d + i
        }
        return o
    }

    /// The element at a multi-index, e.g. `t[n, c, y, x]`.
    public subscript(_ indices: Int...) -> Float {
        get { storage[offset(indices)] }
        set { storage[offset(indices)] = newValue }
    }

    /// The element at a row-major flat position.
    public subscript(flat index: Int) -> Float {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    // MARK: Raw access

    /// Calls `body` with a pointer to the contiguous storage (valid only inside `body`).
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with a mutable pointer to the storage, first making it unique (copy on write).
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer { try body($0) }
    }

    // MARK: Element-wise math

    /// Applies `f` to every element.
    public func map(_ f: (Float) -> Float) -> Tensor {
        var out = self
        out.storage.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] = f(p[i]) }
        }
        return out
    }

    /// Combines two tensors of identical shape element by element.
    public func zipWith(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "element-wise: shape \(shape) vs \(other.shape)")
        var out = self
        out.storage.withUnsafeMutableBufferPointer { p in
            other.storage.withUnsafeBufferPointer { q in
                for i in p.indices { p[i] = f(p[i], q[i]) }
            }
        }
        return out
    }

    /// Element-wise sum of equal shapes.
    public static func + (a: Tensor, b: Tensor) -> Tensor { a.zipWith(b, +) }
    /// Element-wise difference of equal shapes.
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.zipWith(b, -) }
    /// Element-wise (Hadamard) product of equal shapes.
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.zipWith(b, *) }
    /// Element-wise quotient of equal shapes.
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.zipWith(b, /) }
    /// Adds a scalar to every element.
    public static func + (a: Tensor, s: Float) -> Tensor { a.map { $0 + s } }
    /// Subtracts a scalar from every element.
    public static func - (a: Tensor, s: Float) -> Tensor { a.map { $0 - s } }
    /// Multiplies every element by a scalar.
    public static func * (a: Tensor, s: Float) -> Tensor { a.map { $0 * s } }
    /// Multiplies every element by a scalar.
    public static func * (s: Float, a: Tensor) -> Tensor { a.map { $0 * s } }
    /// Divides every element by a scalar.
    public static func / (a: Tensor, s: Float) -> Tensor { a.map { $0 / s } }
    /// Negates every element.
    public static prefix func - (a: Tensor) -> Tensor { a.map { -$0 } }

    /// In-place `self += other`.
    public static func += (a: inout Tensor, b: Tensor) {
        precondition(a.shape == b.shape, "+=: shape \(a.shape) vs \(b.shape)")
        a.storage.withUnsafeMutableBufferPointer { p in
            b.storage.withUnsafeBufferPointer { q in for i in p.indices { p[i] += q[i] } }
        }
    }

    /// In-place `self += alpha · other` (axpy).
    public mutating func add(_ other: Tensor, scaledBy alpha: Float) {
        precondition(shape == other.shape, "add(scaledBy:): shape \(shape) vs \(other.shape)")
        storage.withUnsafeMutableBufferPointer { p in
            other.storage.withUnsafeBufferPointer { q in for i in p.indices { p[i] += alpha * q[i] } }
        }
    }

    /// Element-wise e^x.
    public func exp() -> Tensor { map { Foundation.exp($0) } }
    /// Element-wise natural logarithm.
    public func log() -> Tensor { map { Foundation.log($0) } }
    /// Element-wise square root.
    public func sqrt() -> Tensor { map { $0.squareRoot() } }
    /// Element-wise square.
    public func squared() -> Tensor { map { $0 * $0 } }

    // MARK: Reductions

    /// Σ of all elements (accumulated in Double).
    public func sum() -> Float {
        storage.withUnsafeBufferPointer { p in
            var s = 0.0
            for v in p { s += Double(v) }
            return Float(s)
        }
    }
    /// Mean of all elements.
    public func mean() -> Float { count == 0 ? 0 : Float(Double(sum()) / Double(count)) }
    /// Largest element (−∞ for an empty tensor).
    public func max() -> Float { storage.max() ?? -.infinity }
    /// Smallest element (+∞ for an empty tensor).
    public func min() -> Float { storage.min() ?? .infinity }
    /// Euclidean norm √(Σ x²), accumulated in Double.
    public func l2Norm() -> Float {
        storage.withUnsafeBufferPointer { p in
            var s = 0.0
            for v in p { s += Double(v) * Double(v) }
            return Float(s.squareRoot())
        }
    }

    /// Sums over axis 0: (N, d1, …) → (d1, …).
    public func sumBatch() -> Tensor {
        precondition(rank >= 1, "sumBatch needs a batch axis")
        let size = itemSize
        var out = Tensor(shape: Array(shape.dropFirst()))
        out.storage.withUnsafeMutableBufferPointer { o in
            storage.withUnsafeBufferPointer { p in
                for n in 0..<shape[0] {
                    for j in 0..<size { o[j] += p[n * size + j] }
                }
            }
        }
        return out
    }

    /// For a (N, K) tensor, the index of the largest value in each row (first on ties).
    public func argmaxRows() -> [Int] {
        precondition(rank == 2, "argmaxRows needs (N, K), got \(shape)")
        let k = shape[1]
        return storage.withUnsafeBufferPointer { p in
            (0..<shape[0]).map { n in
                var best = 0
                for j in 1..<Swift.max(k, 1) where p[n * k + j] > p[n * k + best] { best = j }
                return best
            }
        }
    }

    // MARK: Matrix multiply

    /// Matrix product of rank-2 tensors through the BLAS funnel:
    /// `op(a) · op(b)` with op(a) (m, k) and op(b) (k, n) → (m, n).
    public static func matmul(_ a: Tensor, transposed ta: Bool = false,
                              _ b: Tensor, transposed tb: Bool = false) -> Tensor {
        gemmProduct(a, ta, b, tb, naive: false)
    }

    /// The naive twin of ``matmul(_:transposed:_:transposed:)`` (three loops, Double accumulation).
    public static func naiveMatmul(_ a: Tensor, transposed ta: Bool = false,
                                   _ b: Tensor, transposed tb: Bool = false) -> Tensor {
        gemmProduct(a, ta, b, tb, naive: true)
    }

    private static func gemmProduct(_ a: Tensor, _ ta: Bool, _ b: Tensor, _ tb: Bool, naive: Bool) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul needs rank-2 tensors, got \(a.shape) and \(b.shape)")
        let m = ta ? a.shape[1] : a.shape[0]
        let k = ta ? a.shape[0] : a.shape[1]
        let kb = tb ? b.shape[1] : b.shape[0]
        let n = tb ? b.shape[0] : b.shape[1]
        precondition(k == kb, "matmul: inner dimensions \(k) and \(kb) differ (\(a.shape) · \(b.shape))")
        var c = Tensor(shape: [m, n])
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    let f = naive ? BLAS.naiveGemm : BLAS.gemm
                    // Safe: shapes checked above give exactly the sizes gemm reads and writes.
                    f(ta ? .transpose : .none, tb ? .transpose : .none, m, n, k, 1,
                      pa.baseAddress!, pb.baseAddress!, 0, pc.baseAddress!)
                }
            }
        }
        return c
    }

    public var description: String {
        let head = storage.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape)) [\(head)\(count > 8 ? ", …" : "")]"
    }
}
