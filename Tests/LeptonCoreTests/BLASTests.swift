import LeptonCore
import XCTest

final class BLASTests: XCTestCase {
    /// The BLAS funnel and its naive twin agree for every transpose combination and odd shapes.
    func testGemmMatchesNaiveTwin() {
        var state: UInt64 = 42
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 500
        }
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 9, 33), (64, 1, 128), (129, 67, 300), (33, 257, 19)] {
            for ta in [BLAS.Transpose.none, .transpose] {
                for tb in [BLAS.Transpose.none, .transpose] {
                    let a = (0..<(m * k)).map { _ in next() }
                    let b = (0..<(k * n)).map { _ in next() }
                    let c0 = (0..<(m * n)).map { _ in next() }
                    var fast = c0, slow = c0
                    fast.withUnsafeMutableBufferPointer { c in
                        BLAS.gemm(ta, tb, m: m, n: n, k: k, alpha: 0.5, a: a, b: b, beta: 2, c: c.baseAddress!)
                    }
                    slow.withUnsafeMutableBufferPointer { c in
                        BLAS.naiveGemm(ta, tb, m: m, n: n, k: k, alpha: 0.5, a: a, b: b, beta: 2, c: c.baseAddress!)
                    }
                    for i in 0..<(m * n) {
                        // 2e-4: k up to 300 products summed in Float32, in the kernel's order
                        // (the AVX-512 and AVX2 kernels split the sums differently).
                        XCTAssertEqual(fast[i], slow[i], accuracy: 2e-4 * max(1, abs(slow[i])),
                                       "m=\(m) n=\(n) k=\(k) \(ta) \(tb) at \(i)")
                    }
                }
            }
        }
    }

    /// The kernel set is named, and an explicit OPENBLAS_CORETYPE is what OpenBLAS used.
    func testKernelSetIsNamed() {
        XCTAssertFalse(BLAS.kernels.isEmpty)
        XCTAssertNotEqual(BLAS.kernels, "unknown")
        if let pinned = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], pinned.lowercased() == "haswell" {
            XCTAssertEqual(BLAS.kernels, "Haswell")
        }
    }
}
