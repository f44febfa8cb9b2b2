@testable import LeptonCore
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
                        // (the AVX-512 kernels split the sums differently from the AVX2 ones).
                        XCTAssertEqual(fast[i], slow[i], accuracy: 2e-4 * max(1, abs(slow[i])),
                                       "m=\(m) n=\(n) k=\(k) \(ta) \(tb) at \(i)")
                    }
                }
            }
        }
    }

    /// The kernel set is decided once and named, and follows the switching rule for this
    /// machine's CPU, library and environment.
    func testKernelSetFollowsTheRule() {
        let selection = BLAS.kernelSelection
        XCTAssertFalse(selection.used.isEmpty)
        XCTAssertNotEqual(selection.used, "unknown")
        BLAS.setThreadCount(BLAS.threadCount)
        XCTAssertEqual(BLAS.kernels, selection.used)
        let environment = ProcessInfo.processInfo.environment
        let upgrade = BLAS.shouldUseAVX512Kernels(
            openBLASChoice: selection.openBLASChoice, coreTypeSet: environment["OPENBLAS_CORETYPE"] != nil,
            leptonSetting: environment["LEPTON_BLAS_KERNELS"], cpuHasAVX512: BLAS.cpuHasAVX512ForBLAS,
            canReselect: BLAS.canReselectKernels)
        XCTAssertEqual(selection.used, upgrade ? "SkylakeX" : selection.openBLASChoice)
    }

    func testSwitchingRule() {
        func rule(_ choice: String, coreType: Bool = false, setting: String? = nil, avx512: Bool = true,
                  reselect: Bool = true) -> Bool {
            BLAS.shouldUseAVX512Kernels(openBLASChoice: choice, coreTypeSet: coreType, leptonSetting: setting,
                                        cpuHasAVX512: avx512, canReselect: reselect)
        }
        XCTAssertTrue(rule("Haswell"))
        XCTAssertTrue(rule("Zen"))
        XCTAssertFalse(rule("SkylakeX"), "already AVX-512")
        XCTAssertFalse(rule("Sandybridge"), "not an AVX2 set")
        XCTAssertFalse(rule("Haswell", coreType: true), "an explicit OPENBLAS_CORETYPE is respected")
        XCTAssertFalse(rule("Haswell", setting: "openblas"))
        XCTAssertTrue(rule("Haswell", setting: "auto"))
        XCTAssertFalse(rule("Haswell", avx512: false))
        XCTAssertFalse(rule("Haswell", reselect: false), "a build without DYNAMIC_ARCH keeps its kernels")
    }
}
