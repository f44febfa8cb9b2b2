import LeptonCore
import XCTest
import LeptonTestSupport

final class LossTests: XCTestCase {
    func testMeanSquaredError() {
        let out = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let target = Tensor(shape: [2, 2], scalars: [1, 0, 3, 1])
        XCTAssertEqual(MeanSquaredError().evaluate(output: out, target: target).value, (4 + 9) / 4.0, accuracy: 1e-6)
        // Sample weights (1, 3): (1·2 + 3·4.5) / 4.
        XCTAssertEqual(MeanSquaredError().evaluate(output: out, target: target, sampleWeights: [1, 3]).value,
                       (2 + 13.5) / 4, accuracy: 1e-6)
        var rng = SeededGenerator(seed: 1)
        GradientChecker.checkLoss(MeanSquaredError(), output: Tensor.normal([3, 2], using: &rng),
                                  target: Tensor.normal([3, 2], using: &rng), weights: [1, 0.5, 2])
    }

    func testBinaryCrossEntropyOnLogits() {
        let bce = BinaryCrossEntropyWithLogits()
        let v = bce.evaluate(output: Tensor([0, 2]), target: Tensor([1, 0])).value
        XCTAssertEqual(v, Float((log(2.0) + log(1 + exp(2.0))) / 2), accuracy: 1e-6)
        // Stable at extreme logits: no inf or nan.
        let extreme = bce.evaluate(output: Tensor([1000, -1000]), target: Tensor([0, 1]))
        XCTAssertEqual(extreme.value, 1000, accuracy: 1e-3)
        XCTAssertEqual(extreme.gradient.scalars, [0.5, -0.5])
        var rng = SeededGenerator(seed: 2)
        let target = Tensor(shape: [4, 2], scalars: [1, 0, 0, 1, 1, 1, 0, 0])
        GradientChecker.checkLoss(BinaryCrossEntropyWithLogits(negativeWeight: 0.5, positiveWeight: 3),
                                  output: Tensor.normal([4, 2], using: &rng), target: target, weights: [1, 2, 0.5, 1])
        // Class weights: a positive-weighted error counts more than a negative-weighted one.
        let weighted = BinaryCrossEntropyWithLogits(negativeWeight: 1, positiveWeight: 4)
        let g = weighted.evaluate(output: Tensor([0, 0]), target: Tensor([1, 0])).gradient
        XCTAssertEqual(g[0], -0.5 * 4 / 5, accuracy: 1e-6)
        XCTAssertEqual(g[1], 0.5 * 1 / 5, accuracy: 1e-6)
    }

    func testSoftmaxCrossEntropy() {
        let ce = SoftmaxCrossEntropy()
        let logits = Tensor(shape: [2, 3], scalars: [1, 2, 3, 0, 0, 0])
        let labels = Tensor([2, 0])
        let expected = ((log(exp(1.0) + exp(2) + exp(3)) - 3) + log(3.0)) / 2
        XCTAssertEqual(ce.evaluate(output: logits, target: labels).value, Float(expected), accuracy: 1e-5)
        // One-hot targets equal index targets.
        let oneHot = Tensor(shape: [2, 3], scalars: [0, 0, 1, 1, 0, 0])
        XCTAssertEqual(ce.evaluate(output: logits, target: oneHot).value, ce.evaluate(output: logits, target: labels).value, accuracy: 1e-6)
        // Log-sum-exp stability.
        let huge = ce.evaluate(output: Tensor(shape: [1, 2], scalars: [10_000, 0]), target: Tensor([1]))
        XCTAssertEqual(huge.value, 10_000, accuracy: 1)
        XCTAssertFalse(huge.gradient.scalars.contains { $0.isNaN })
        // Class and sample weights.
        let weighted = SoftmaxCrossEntropy(classWeights: [2, 1, 1])
        let per = [Double(log(exp(1.0) + exp(2) + exp(3)) - 3), log(3.0)]
        XCTAssertEqual(weighted.evaluate(output: logits, target: labels, sampleWeights: [1, 3]).value,
                       Float((1 * 1 * per[0] + 3 * 2 * per[1]) / 7), accuracy: 1e-5)
        var rng = SeededGenerator(seed: 3)
        GradientChecker.checkLoss(weighted, output: Tensor.normal([3, 3], using: &rng), target: Tensor([0, 2, 1]),
                                  weights: [0.5, 1, 2])
        GradientChecker.checkLoss(ce, output: Tensor.normal([2, 3], using: &rng),
                                  target: Tensor(shape: [2, 3], scalars: [0.2, 0.3, 0.5, 0.1, 0.8, 0.1]))
    }

    func testZeroTotalWeightGivesZeroLoss() {
        let r = SoftmaxCrossEntropy().evaluate(output: Tensor.ones([2, 2]), target: Tensor([0, 1]), sampleWeights: [0, 0])
        XCTAssertEqual(r.value, 0)
        XCTAssertEqual(r.gradient.sum(), 0)
    }
}
