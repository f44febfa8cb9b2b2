import LeptonCore
import XCTest

final class TensorTests: XCTestCase {
    func testCopyOnWriteKeepsValueSemantics() {
        var a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let b = a
        a[0, 1] = 20
        XCTAssertEqual(b[0, 1], 2)
        XCTAssertEqual(a[0, 1], 20)
        XCTAssertEqual(a[1, 2], 6)
    }

    func testReshapeSharesStorageUntilMutated() {
        let a = Tensor(shape: [2, 3, 4], repeating: 1.5)
        var r = a.reshaped([6, -1])
        XCTAssertEqual(r.shape, [6, 4])
        let sameBuffer = a.withUnsafeBufferPointer { pa in r.withUnsafeBufferPointer { pr in pa.baseAddress == pr.baseAddress } }
        XCTAssertTrue(sameBuffer, "reshape must not copy")
        r[flat: 0] = 7
        XCTAssertEqual(a[flat: 0], 1.5, "mutating the reshaped copy must not affect the original")
        XCTAssertEqual(a.flattenedBatch().shape, [2, 12])
    }

    func testElementwiseAndReductions() {
        let a = Tensor(shape: [2, 2], scalars: [1, -2, 3, 4])
        let b = Tensor(shape: [2, 2], scalars: [2, 2, 2, 2])
        XCTAssertEqual((a + b).scalars, [3, 0, 5, 6])
        XCTAssertEqual((a - b).scalars, [-1, -4, 1, 2])
        XCTAssertEqual((a * b).scalars, [2, -4, 6, 8])
        XCTAssertEqual((a / b).scalars, [0.5, -1, 1.5, 2])
        XCTAssertEqual((a * 3).scalars, [3, -6, 9, 12])
        XCTAssertEqual(a.sum(), 6)
        XCTAssertEqual(a.mean(), 1.5)
        XCTAssertEqual(a.max(), 4)
        XCTAssertEqual(a.min(), -2)
        XCTAssertEqual(a.l2Norm(), (1 + 4 + 9 + 16 as Float).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(a.sumBatch().scalars, [4, 2])
        XCTAssertEqual(a.argmaxRows(), [0, 1])
        XCTAssertEqual(Tensor([0, 1]).exp().scalars[1], Float(M_E), accuracy: 1e-6)
        var c = a
        c.add(b, scaledBy: -0.5)
        XCTAssertEqual(c.scalars, [0, -3, 2, 3])
    }

    func testBatchGatherSliceAndConcatenate() {
        let a = Tensor(shape: [3, 2], scalars: [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(a.gatherBatch([2, 0]).scalars, [4, 5, 0, 1])
        XCTAssertEqual(a.sliceBatch(1..<3).scalars, [2, 3, 4, 5])
        let c = Tensor.concatenateBatch([a.sliceBatch(0..<1), a.sliceBatch(1..<3)])
        XCTAssertEqual(c, a)
    }

    func testMatmulMatchesNaiveTwinForAllTransposes() {
        var rng = SeededGenerator(seed: 3)
        for (m, k, n) in [(1, 1, 1), (5, 7, 3), (33, 17, 9)] {
            for ta in [false, true] {
                for tb in [false, true] {
                    let a = Tensor.normal(ta ? [k, m] : [m, k], using: &rng)
                    let b = Tensor.normal(tb ? [n, k] : [k, n], using: &rng)
                    let fast = Tensor.matmul(a, transposed: ta, b, transposed: tb)
                    let slow = Tensor.naiveMatmul(a, transposed: ta, b, transposed: tb)
                    XCTAssertEqual(fast.shape, [m, n])
                    for i in 0..<fast.count { XCTAssertEqual(fast[flat: i], slow[flat: i], accuracy: 1e-4) }
                }
            }
        }
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        XCTAssertEqual(Tensor.matmul(a, a).scalars, [7, 10, 15, 22])
    }

    func testSeededInitialisationIsReproducibleAndScaled() {
        var r1 = SeededGenerator(seed: 11), r2 = SeededGenerator(seed: 11), r3 = SeededGenerator(seed: 12)
        let a = Tensor.heNormal([200, 100], fanIn: 100, using: &r1)
        let b = Tensor.heNormal([200, 100], fanIn: 100, using: &r2)
        let c = Tensor.heNormal([200, 100], fanIn: 100, using: &r3)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        let std = (a.squared().mean() - a.mean() * a.mean()).squareRoot()
        XCTAssertEqual(std, (2.0 / 100).squareRoot(), accuracy: 0.01)
        XCTAssertEqual(a.mean(), 0, accuracy: 0.01)
        var r4 = SeededGenerator(seed: 5)
        let x = Tensor.xavierUniform([50, 50], fanIn: 50, fanOut: 50, using: &r4)
        let bound = (6.0 / 100 as Float).squareRoot()
        XCTAssertLessThanOrEqual(x.max(), bound)
        XCTAssertGreaterThanOrEqual(x.min(), -bound)
        XCTAssertGreaterThan(x.max(), 0.9 * bound)
    }

    func testPermutationIsAPermutation() {
        var rng = SeededGenerator(seed: 1)
        let p = rng.permutation(100)
        XCTAssertEqual(p.sorted(), Array(0..<100))
        XCTAssertNotEqual(p, Array(0..<100))
    }
}
