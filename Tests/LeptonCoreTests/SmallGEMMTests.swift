import CLeptonKernels
@testable import LeptonCore
import XCTest

/// The Winograd path's own matrix products (CLeptonKernels/small_gemm.c) against a naive
/// double-precision product: row counts that do and do not fill the 6-row tiles, every column
/// remainder (16–48 of a 64-column panel), inner dimensions past the 512 block, leading
/// dimensions wider than the matrices, and accumulation into C.
final class SmallGEMMTests: XCTestCase {
    /// `C = op(A)·B (+ C)` in double precision; A is (m × k), or stored (k × m) when `transposed`.
    private func reference(m: Int, n: Int, k: Int, a: [Float], lda: Int, transposed: Bool, b: [Float], ldb: Int,
                           c: [Float], ldc: Int, accumulate: Bool) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var sum = accumulate ? Double(c[i * ldc + j]) : 0
                for q in 0..<k {
                    let av = transposed ? a[q * lda + i] : a[i * lda + q]
                    sum += Double(av) * Double(b[q * ldb + j])
                }
                out[i * ldc + j] = Float(sum)
            }
        }
        return out
    }

    func testProductsEqualTheNaiveProduct() throws {
        try XCTSkipUnless(DirectConvolution.processorSupported, "no AVX-512F here: the products run on BLAS")
        var rng = SeededGenerator(seed: 21)
        let shapes = [(1, 16, 1), (6, 64, 3), (7, 48, 5), (13, 80, 9), (20, 128, 600), (5, 32, 1030), (12, 16, 64)]
        for (m, n, k) in shapes {
            for transposed in [false, true] {
                for accumulate in [false, true] {
                    let (rows, cols) = transposed ? (k, m) : (m, k)
                    let lda = cols + 3, ldb = n + 16, ldc = n + 5
                    let a = Tensor.normal([rows * lda], using: &rng).scalars
                    let b = Tensor.normal([k * ldb], using: &rng).scalars
                    var c = Tensor.normal([m * ldc], using: &rng).scalars
                    let expected = reference(m: m, n: n, k: k, a: a, lda: lda, transposed: transposed, b: b, ldb: ldb,
                                             c: c, ldc: ldc, accumulate: accumulate)
                    c.withUnsafeMutableBufferPointer { cp in
                        let f = transposed ? lepton_gemm_tn : lepton_gemm_nn
                        f(m, n, k, a, lda, b, ldb, cp.baseAddress!, ldc, accumulate ? 1 : 0)
                    }
                    let label = "m \(m) n \(n) k \(k) transposed \(transposed) accumulate \(accumulate)"
                    for i in 0..<m {
                        for j in 0..<ldc {
                            let (got, want) = (c[i * ldc + j], expected[i * ldc + j])
                            if j >= n {
                                XCTAssertEqual(got.bitPattern, want.bitPattern, "\(label): column \(j) beyond n was written")
                            } else {
                                XCTAssertEqual(got, want, accuracy: 1e-4 * Float(k).squareRoot() * 4, "\(label) at (\(i), \(j))")
                            }
                        }
                    }
                }
            }
        }
    }

    /// A deliberately wrong product (B off by one row) is caught: the comparison can fail.
    func testTheComparisonCatchesAWrongProduct() throws {
        try XCTSkipUnless(DirectConvolution.processorSupported, "no AVX-512F here")
        var rng = SeededGenerator(seed: 22)
        let (m, n, k) = (7, 32, 9)
        let a = Tensor.normal([m * k], using: &rng).scalars, b = Tensor.normal([(k + 1) * n], using: &rng).scalars
        var c = [Float](repeating: 0, count: m * n)
        c.withUnsafeMutableBufferPointer { lepton_gemm_nn(m, n, k, a, k, Array(b[n...]), n, $0.baseAddress!, n, 0) }
        let expected = reference(m: m, n: n, k: k, a: a, lda: k, transposed: false, b: b, ldb: n, c: c, ldc: n, accumulate: false)
        XCTAssertGreaterThan(zip(c, expected).map { abs($0 - $1) }.max()!, 1e-2)
    }
}
