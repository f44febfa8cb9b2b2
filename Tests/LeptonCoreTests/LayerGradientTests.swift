@testable import LeptonCore
import XCTest
import LeptonTestSupport

/// Finite-difference gradient checks for every layer (small shapes keep them fast in debug).
final class LayerGradientTests: XCTestCase {
    /// The checker itself must catch a wrong backward pass (here: twice the true derivative).
    func testCheckerCatchesAWrongGradient() {
        final class Recording: Layer {
            var x = Tensor([0])
            var summary: String { "Recording" }
            var namedParameters: [(name: String, parameter: Parameter)] { [] }
            func forward(_ input: Tensor, training: Bool) -> Tensor { x = input; return input.squared() }
            func backward(_ g: Tensor) -> Tensor { g * x * 4 }   // true derivative is 2x
        }
        var rng = SeededGenerator(seed: 0)
        let found = GradientChecker.failures(Recording(), input: Tensor.normal([2, 3], using: &rng).map { $0 + 3 })
        XCTAssertEqual(found.count, 6)
    }

    func testDense() {
        var rng = SeededGenerator(seed: 1)
        GradientChecker.check(Dense(5, 3, using: &rng), input: Tensor.normal([4, 5], using: &rng))
    }

    func testConv2DStrideAndPadding() {
        var rng = SeededGenerator(seed: 2)
        for (stride, pad) in [(1, 1), (2, 0), (2, 1)] {
            let conv = Conv2D(2, 3, kernelSize: 3, stride: stride, padding: pad, using: &rng)
            GradientChecker.check(conv, input: Tensor.normal([2, 2, 5, 5], using: &rng))
        }
        GradientChecker.check(Conv2D(2, 2, kernelSize: 1, stride: 2, bias: false, using: &rng),
                              input: Tensor.normal([2, 2, 4, 4], using: &rng))
    }

    func testMaxPool() {
        GradientChecker.check(MaxPool2D(kernelSize: 2), input: distinctValues([2, 2, 4, 4], seed: 3))
        GradientChecker.check(MaxPool2D(kernelSize: 3, stride: 2), input: distinctValues([1, 2, 5, 5], seed: 4))
    }

    func testAvgPoolAndGlobalAvgPool() {
        var rng = SeededGenerator(seed: 5)
        GradientChecker.check(AvgPool2D(kernelSize: 2), input: Tensor.normal([2, 2, 4, 4], using: &rng))
        GradientChecker.check(AvgPool2D(kernelSize: 3, stride: 1), input: Tensor.normal([1, 2, 4, 4], using: &rng))
        GradientChecker.check(GlobalAvgPool(), input: Tensor.normal([2, 3, 3, 3], using: &rng))
    }

    func testBatchNormTrainingAndInference() {
        var rng = SeededGenerator(seed: 6)
        let bn = BatchNorm(3)
        bn.weight.value = Tensor.uniform([3], low: 0.5, high: 1.5, using: &rng)
        bn.bias.value = Tensor.normal([3], using: &rng)
        GradientChecker.check(bn, input: Tensor.normal([4, 3, 2, 2], using: &rng), training: true, epsilon: 1e-3, tolerance: 2e-2)
        GradientChecker.check(bn, input: Tensor.normal([4, 3, 2, 2], using: &rng), training: false)
        GradientChecker.check(BatchNorm(4), input: Tensor.normal([5, 4], using: &rng), training: true, epsilon: 1e-3, tolerance: 2e-2)
    }

    /// The lane-summed passes against the per-element double twins, on planes whose sizes are and
    /// are not multiples of 8 and values far from zero (where a one-pass variance would cancel).
    func testBatchNormEqualsTheNaiveTwins() {
        var rng = SeededGenerator(seed: 61)
        for shape in [[6, 5, 7, 7], [3, 4, 4, 4], [9, 3], [2, 16, 28, 28]] {
            let bn = BatchNorm(shape[1])
            bn.weight.value = Tensor.uniform([shape[1]], low: 0.5, high: 1.5, using: &rng)
            bn.bias.value = Tensor.normal([shape[1]], using: &rng)
            let x = Tensor.normal(shape, using: &rng) + 50
            let g = Tensor.normal(shape, using: &rng)
            let naive = bn.naiveTrainingForward(x)
            let y = bn.forward(x, training: true)
            let dx = bn.backward(g)
            let expected = bn.naiveTrainingBackward(input: x, outputGradient: g)
            for i in 0..<y.count { XCTAssertEqual(y[flat: i], naive.y[flat: i], accuracy: 2e-4, "y \(shape) at \(i)") }
            for i in 0..<dx.count { XCTAssertEqual(dx[flat: i], expected.input[flat: i], accuracy: 2e-4, "dx \(shape) at \(i)") }
            for ch in 0..<shape[1] {
                XCTAssertEqual(bn.weight.gradient[flat: ch], expected.weight[ch], accuracy: 2e-3 * max(1, abs(expected.weight[ch])))
                XCTAssertEqual(bn.bias.gradient[flat: ch], expected.bias[ch], accuracy: 2e-3 * max(1, abs(expected.bias[ch])))
                XCTAssertEqual(bn.runningMean.value[flat: ch], 0.1 * naive.mean[ch], accuracy: 1e-4)
            }
        }
    }

    /// Sequential runs BatchNorm → ReLU as one fused step: the same bits as the two layers one by
    /// one, forward and backward, in training and inference.
    func testBatchNormReLUFusionEqualsTheLayersOneByOne() {
        var rng = SeededGenerator(seed: 62)
        for training in [true, false] {
            for shape in [[4, 3, 5, 5], [6, 2]] {
                let x = Tensor.normal(shape, using: &rng), g = Tensor.normal(shape, using: &rng)
                let fusedNorm = BatchNorm(shape[1]), norm = BatchNorm(shape[1])
                for layer in [fusedNorm, norm] {
                    layer.weight.value = Tensor(shape: [shape[1]], scalars: (0..<shape[1]).map { Float($0) * 0.3 + 0.5 })
                    layer.bias.value = Tensor(shape: [shape[1]], scalars: (0..<shape[1]).map { Float($0) * 0.2 - 0.1 })
                }
                let fused = Sequential([fusedNorm, ReLU()])
                let relu = ReLU()
                let y = fused.forward(x, training: training)
                let expected = relu.forward(norm.forward(x, training: training), training: training)
                XCTAssertEqual(y.scalars, expected.scalars, "forward \(shape) training \(training)")
                XCTAssertEqual(fused.backward(g).scalars, norm.backward(relu.backward(g)).scalars, "backward \(shape)")
                XCTAssertEqual(fusedNorm.weight.gradient.scalars, norm.weight.gradient.scalars)
                XCTAssertEqual(fusedNorm.bias.gradient.scalars, norm.bias.gradient.scalars)
            }
        }
    }

    func testBatchNormStatistics() {
        let bn = BatchNorm(1, momentum: 0.5)
        let x = Tensor(shape: [4, 1], scalars: [1, 2, 3, 6])
        let y = bn.forward(x, training: true)
        XCTAssertEqual(y.mean(), 0, accuracy: 1e-5)
        XCTAssertEqual(y.squared().mean(), 1, accuracy: 1e-3)   // unit biased variance
        XCTAssertEqual(bn.runningMean.value[0], 0.5 * 3, accuracy: 1e-6)
        // Unbiased batch variance: Σ(x − 3)² / 3 = (4 + 1 + 0 + 9) / 3.
        XCTAssertEqual(bn.runningVariance.value[0], 0.5 * 1 + 0.5 * 14 / 3, accuracy: 1e-5)
        let inference = bn.forward(Tensor(shape: [1, 1], scalars: [1.5]), training: false)
        XCTAssertEqual(inference[0, 0], (1.5 - 1.5) / (bn.runningVariance.value[0] + 1e-5).squareRoot(), accuracy: 1e-6)
    }

    func testDropoutSeededMaskAndGradient() {
        let drop = Dropout(rate: 0.5, seed: 42)
        let x = Tensor.ones([200])
        drop.reseed(42)
        let a = drop.forward(x, training: true)
        drop.reseed(42)
        let b = drop.forward(x, training: true)
        XCTAssertEqual(a, b, "same seed, same mask")
        XCTAssertTrue(a.scalars.allSatisfy { $0 == 0 || $0 == 2 })
        let kept = a.scalars.filter { $0 > 0 }.count
        XCTAssertTrue((70...130).contains(kept), "kept \(kept) of 200")
        XCTAssertEqual(drop.forward(x, training: false), x, "identity at inference")
        var rng = SeededGenerator(seed: 7)
        GradientChecker.check(drop, input: Tensor.normal([3, 4], using: &rng), beforeForward: { drop.reseed(9) })
    }

    func testFlattenAndSoftmax() {
        var rng = SeededGenerator(seed: 8)
        GradientChecker.check(Flatten(), input: Tensor.normal([2, 2, 2, 2], using: &rng))
        GradientChecker.check(Softmax(), input: Tensor.normal([3, 4], using: &rng))
        let p = Softmax().forward(Tensor(shape: [1, 3], scalars: [1000, 1000, -1000]), training: false)
        XCTAssertEqual(p.scalars, [0.5, 0.5, 0], "max-shifted softmax does not overflow")
    }

    func testActivations() {
        let x = awayFromZero([3, 5], seed: 9)
        for layer: any Layer in [ReLU(), LeakyReLU(slope: 0.1), Sigmoid(), Tanh(), GELU()] {
            GradientChecker.check(layer, input: x, epsilon: 1e-2)
        }
        XCTAssertEqual(ReLU().forward(Tensor([-1, 2]), training: false).scalars, [0, 2])
        XCTAssertEqual(LeakyReLU(slope: 0.1).forward(Tensor([-1, 2]), training: false).scalars, [-0.1, 2])
        XCTAssertEqual(Sigmoid().forward(Tensor([-200, 0, 200]), training: false).scalars, [0, 0.5, 1])
        XCTAssertEqual(GELU().forward(Tensor([1]), training: false)[0], 0.841_344_7, accuracy: 1e-6)
    }

    func testResidualBlocks() {
        var rng = SeededGenerator(seed: 10)
        let identity = ResidualBlock.basic(2, 2, stride: 1, using: &rng)
        XCTAssertNil(identity.shortcut)
        GradientChecker.check(identity, input: Tensor.normal([2, 2, 4, 4], using: &rng), epsilon: 1e-3, tolerance: 3e-2)
        let projected = ResidualBlock.basic(2, 3, stride: 2, using: &rng)
        XCTAssertNotNil(projected.shortcut)
        let x = Tensor.normal([2, 2, 4, 4], using: &rng)
        XCTAssertEqual(projected.forward(x, training: true).shape, [2, 3, 2, 2])
        GradientChecker.check(projected, input: x, epsilon: 1e-3, tolerance: 3e-2)
    }

    func testSequentialChainsGradients() {
        var rng = SeededGenerator(seed: 11)
        let model = Sequential([
            Conv2D(1, 2, kernelSize: 3, padding: 1, using: &rng), Tanh(),
            AvgPool2D(kernelSize: 2), Flatten(), Dense(8, 3, using: &rng), Sigmoid(),
        ])
        GradientChecker.check(model, input: Tensor.normal([2, 1, 4, 4], using: &rng))
        XCTAssertEqual(model.namedParameters.map(\.name), ["0.weight", "0.bias", "4.weight", "4.bias"])
    }
}
