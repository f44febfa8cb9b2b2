import LeptonCore
@testable import ScanDiagnosis
import XCTest

final class AugmentationTests: XCTestCase {
    private func batch(n: Int, h: Int, w: Int, seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor(shape: [n, 1, h, w], scalars: (0..<(n * h * w)).map { _ in Float(rng.normal()) })
    }

    func testSameSeedEpochAndBatchGiveTheSameImages() {
        var a = XRayAugmentation()
        a.seed = 9
        let x = batch(n: 5, h: 8, w: 7, seed: 1)
        XCTAssertEqual(a.apply(x, epoch: 3, batch: 2).scalars, a.apply(x, epoch: 3, batch: 2).scalars)
        XCTAssertNotEqual(a.apply(x, epoch: 3, batch: 2).scalars, a.apply(x, epoch: 4, batch: 2).scalars)
        XCTAssertEqual(a.apply(x, epoch: 0, batch: 0).shape, x.shape)
    }

    /// With no brightness or contrast change the output is the input shifted with edges repeated:
    /// every output pixel is a pixel of the same image, and the shift is at most `maxShift`.
    func testShiftOnlyMovesPixelsWithinTheImage() {
        var a = XRayAugmentation()
        a.brightness = 0
        a.contrast = 0
        a.maxShift = 2
        let (h, w) = (6, 5)
        let x = Tensor(shape: [3, 1, h, w], scalars: (0..<(3 * h * w)).map { Float($0) })
        let y = a.apply(x, epoch: 1, batch: 1).scalars
        for i in 0..<3 {
            for p in 0..<(h * w) {
                let v = Int(y[i * h * w + p]) - i * h * w
                XCTAssertTrue((0..<(h * w)).contains(v), "pixel of image \(i) comes from another image")
                XCTAssertLessThanOrEqual(abs(v / w - p / w), 2)
                XCTAssertLessThanOrEqual(abs(v % w - p % w), 2)
            }
        }
    }

    /// Degenerate shapes (one pixel, one image, constant images, no shift allowed) never trap and
    /// keep every value finite; a constant image stays constant.
    func testDegenerateShapesStayFinite() {
        for (n, h, w) in [(1, 1, 1), (1, 1, 9), (4, 3, 1), (2, 28, 28)] {
            for maxShift in [0, 2, 5] {
                var a = XRayAugmentation()
                a.maxShift = maxShift
                let constant = Tensor(shape: [n, 1, h, w], scalars: Array(repeating: 0.5, count: n * h * w))
                let y = a.apply(constant, epoch: 0, batch: 0).scalars
                XCTAssertTrue(y.allSatisfy(\.isFinite))
                for i in 0..<n { XCTAssertEqual(Set(y[(i * h * w)..<((i + 1) * h * w)]).count, 1) }
                XCTAssertTrue(a.apply(batch(n: n, h: h, w: w, seed: 2), epoch: 1, batch: 0).scalars.allSatisfy(\.isFinite))
            }
        }
    }
}

final class ClassWeightTests: XCTestCase {
    /// Each present class's weights sum to N / K; one class gives weight 1 everywhere.
    func testBalancedWeightsGiveEveryClassTheSameTotal() {
        var rng = SeededGenerator(seed: 3)
        for n in [1, 2, 10, 1000] {
            for classes in [1, 2, 3] {
                let labels = (0..<n).map { i in i == 0 ? 0 : Int(rng.next() % UInt64(classes)) }
                let weights = balancedClassWeights(labels, classes: classes)
                let present = Set(labels)
                for c in present {
                    let total = zip(labels, weights).filter { $0.0 == c }.map { Double($0.1) }.reduce(0, +)
                    XCTAssertEqual(total, Double(n) / Double(present.count), accuracy: 1e-3)
                }
            }
        }
        XCTAssertEqual(balancedClassWeights([0, 0, 0], classes: 1), [1, 1, 1])
        XCTAssertEqual(balancedClassWeights([0, 1, 1, 1], classes: 2), [2, 2.0 / 3, 2.0 / 3, 2.0 / 3])
    }
}
