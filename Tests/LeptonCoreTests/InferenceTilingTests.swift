@testable import LeptonCore
import XCTest

final class InferenceTilingTests: XCTestCase {
    /// On the im2col + GEMM path cnn-small's busiest layer per sample is the second convolution:
    /// input 16×14×14, columns 144×196, product and output 32×196 each. The direct 3×3 kernels
    /// unfold nothing and run as one chain.
    func testFootprintOfCNNSmall() throws {
        let model = try ModelRegistry.build(name: "cnn-small", inputShape: [1, 28, 28], outputs: 2, seed: 0)
        let footprint = try XCTUnwrap(InferenceTiling.inferenceFloatsPerSample(of: model, sample: [1, 28, 28]))
        let direct = (model.layers.first as? Conv2D)?.usesDirectKernels ?? false
        // With the direct kernels the convolutions are one chain: per sample, its input and output.
        XCTAssertEqual(footprint.floats, direct ? 28 * 28 + 64 : 16 * 14 * 14 + 144 * 196 + 2 * 32 * 196)
        XCTAssertEqual(footprint.output, [2])
        let tile = InferenceTiling.tileSize(for: model, sample: [1, 28, 28], batchSize: 256, threads: 2)
        XCTAssertGreaterThanOrEqual(tile, 4)
        XCTAssertLessThanOrEqual(tile, 256)
        XCTAssertEqual(InferenceTiling.tileSize(for: model, sample: [1, 28, 28], batchSize: 3, threads: 2), min(3, tile))
    }

    /// Big weights (ResNet-18) or an unknown layer: the batch runs whole.
    func testNetworksThatDoNotFitRunWhole() throws {
        let resnet = try ModelRegistry.build(name: "resnet18", inputShape: [1, 28, 28], outputs: 2, seed: 0)
        XCTAssertEqual(InferenceTiling.tileSize(for: resnet, sample: [1, 28, 28], batchSize: 256, threads: 2), 256)
        final class Unknown: Layer {
            var summary: String { "Unknown" }
            func forward(_ input: Tensor, training: Bool) -> Tensor { input }
            func backward(_ outputGradient: Tensor) -> Tensor { outputGradient }
            var namedParameters: [(name: String, parameter: Parameter)] { [] }
        }
        XCTAssertNil(InferenceTiling.inferenceFloatsPerSample(of: Sequential([Unknown()]), sample: [4]))
        XCTAssertEqual(InferenceTiling.tileSize(for: Sequential([Unknown()]), sample: [4], batchSize: 64, threads: 2), 64)
    }

    /// Tiled inference gives the outputs of one forward pass over the whole batch, up to rounding.
    func testTiledPredictionEqualsOneForwardPass() throws {
        let model = try ModelRegistry.build(name: "cnn-small", inputShape: [1, 28, 28], outputs: 2, seed: 3)
        var rng = SeededGenerator(seed: 9)
        // A batch larger than one tile (a few thousand samples with the direct kernels' chain).
        let n = InferenceTiling.tileSize(for: model, sample: [1, 28, 28], batchSize: 100_000) + 37
        let x = Tensor.uniform([n, 1, 28, 28], low: -1, high: 1, using: &rng)
        let tile = InferenceTiling.tileSize(for: model, sample: [1, 28, 28], batchSize: n)
        XCTAssertLessThan(tile, n, "the test must exercise tiling")
        let whole = model.forward(x, training: false)
        let tiled = Trainer.predict(model, x, batchSize: n)
        XCTAssertEqual(tiled.shape, whole.shape)
        // Equal up to rounding: OpenBLAS blocks a GEMM of another width differently.
        for i in 0..<whole.count {
            XCTAssertEqual(tiled[flat: i], whole[flat: i], accuracy: 1e-5 * max(1, abs(whole[flat: i])), "at \(i)")
        }
    }
}

final class FusedInferenceTests: XCTestCase {
    /// cnn-small's inference through Sequential (Conv2D → ReLU → max-pool fused into one pass)
    /// equals running its layers one by one, exactly; odd sizes leave a row and column unpooled.
    func testFusedConvReLUPoolEqualsTheLayersOneByOne() throws {
        for side in [28, 15] {
            let model = try ModelRegistry.build(name: "cnn-small", inputShape: [1, side, side], outputs: 2, seed: 5)
            var rng = SeededGenerator(seed: 11)
            let x = Tensor.uniform([7, 1, side, side], low: -2, high: 2, using: &rng)
            let fused = model.forward(x, training: false)
            var y = x
            for layer in model.layers { y = layer.forward(y, training: false) }
            XCTAssertEqual(fused.shape, y.shape)
            XCTAssertEqual(fused.scalars, y.scalars, "side \(side)")
        }
    }
}

final class FusedBackwardTests: XCTestCase {
    /// A training step through Sequential (max-pool → ReLU → convolution gradient fused) gives
    /// exactly the parameter and input gradients of the layers run one by one.
    func testFusedPoolReLUConvBackwardEqualsTheLayersOneByOne() throws {
        for side in [28, 15] {
            let model = try ModelRegistry.build(name: "cnn-small", inputShape: [1, side, side], outputs: 2, seed: 5)
            var rng = SeededGenerator(seed: 13)
            let x = Tensor.uniform([6, 1, side, side], low: -2, high: 2, using: &rng)
            let upstream = Tensor.uniform([6, 2], low: -1, high: 1, using: &rng)

            _ = model.forward(x, training: true)
            let fusedInput = model.backward(upstream)
            let fused = model.parameters.map(\.gradient.scalars)

            var y = x
            for layer in model.layers { y = layer.forward(y, training: true) }
            var g = upstream
            for layer in model.layers.reversed() { g = layer.backward(g) }
            let plain = model.parameters.map(\.gradient.scalars)

            XCTAssertEqual(fusedInput.scalars, g.scalars, "input gradient, side \(side)")
            XCTAssertEqual(fused.count, plain.count)
            for (k, (a, b)) in zip(fused, plain).enumerated() { XCTAssertEqual(a, b, "parameter \(k), side \(side)") }
        }
    }
}
