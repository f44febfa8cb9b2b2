@testable import LeptonCore
import XCTest
import LeptonTestSupport

/// The channels-last layers (ChannelsLast.swift, Conv2D+ChannelsLast.swift,
/// BatchNorm+ChannelsLast.swift, GlobalAvgPool) against their channels-first counterparts and the
/// naive twins on the transposed tensors, and their gradient checks.
final class ChannelsLastTests: XCTestCase {
    private func assertClose(_ a: Tensor, _ b: Tensor, _ message: String, accuracy: Float = 2e-4,
                             file: StaticString = #filePath, line: UInt = #line) {
        assertTensorsClose(a, b, message, accuracy: accuracy, file: file, line: line)
    }

    func testTransposesRoundTrip() {
        var rng = SeededGenerator(seed: 1)
        let x = Tensor.normal([3, 5, 4, 7], using: &rng)
        let last = x.channelsLastCopy()
        XCTAssertEqual(last.shape, [3, 4, 7, 5])
        XCTAssertEqual(last[2, 3, 6, 4], x[2, 4, 3, 6])
        XCTAssertEqual(last[1, 0, 2, 1], x[1, 1, 0, 2])
        XCTAssertEqual(last.channelsFirstCopy(), x)
        let one = Tensor.normal([2, 1, 3, 3], using: &rng)
        XCTAssertEqual(one.channelsLastCopy().scalars, one.scalars, "one channel: the same bytes")
        let layer = ChannelsLast()
        XCTAssertEqual(layer.forward(x, training: true), last)
        XCTAssertEqual(layer.backward(last), x)
    }

    /// Every shape the GEMM path takes (strides, paddings, 1×1 with and without stride, kernels
    /// other than 3×3, channel counts not multiples of 16), with bias and the fused ReLU.
    func testGEMMPathEqualsTheNaiveTwins() {
        var rng = SeededGenerator(seed: 2)
        let cases: [(c: Int, o: Int, k: Int, stride: Int, pad: Int, h: Int, w: Int, n: Int)] = [
            (3, 5, 3, 2, 1, 7, 6, 3), (4, 6, 1, 2, 0, 5, 5, 2), (5, 3, 1, 1, 0, 4, 3, 3), (2, 4, 5, 2, 2, 6, 7, 2),
            (16, 32, 3, 1, 1, 5, 5, 2), (3, 4, 3, 1, 0, 5, 4, 1), (1, 8, 3, 1, 1, 6, 6, 4),
        ]
        for s in cases {
            for bias in [true, false] {
                let conv = Conv2D(s.c, s.o, kernelSize: s.k, stride: s.stride, padding: s.pad, bias: bias,
                                  layout: .channelsLast, using: &rng)
                conv.prefersWinogradKernels = false
                if bias { conv.bias!.value = Tensor.normal([s.o], using: &rng) }
                let x = Tensor.normal([s.n, s.h, s.w, s.c], using: &rng)
                let expected = conv.naiveForward(x)
                let g = Tensor.normal(expected.shape, using: &rng)
                let naive = conv.naiveBackward(input: x, outputGradient: g)
                for threads in [1, 2] {
                    Threading.setCount(threads)
                    defer { Threading.setCount(2) }
                    let label = "\(conv.summary) \(s.h)×\(s.w) n\(s.n) threads \(threads)"
                    let y = conv.forward(x, training: true)
                    XCTAssertEqual(y.shape, expected.shape, label)
                    assertClose(y, expected, "forward \(label)")
                    assertClose(conv.backward(g), naive.input, "dx \(label)")
                    assertClose(conv.weight.gradient, naive.weight, "dW \(label)", accuracy: 1e-3)
                    if bias { assertClose(conv.bias!.gradient, naive.bias, "db \(label)", accuracy: 1e-3) }
                    conv.backwardParameters(g)
                    assertClose(conv.weight.gradient, naive.weight, "dW, parameters only \(label)", accuracy: 1e-3)
                    // Through a fused ReLU: the mask applied to the gradient first.
                    let relu = conv.forward(x, training: true, applyingReLU: true)
                    assertClose(relu, expected.map { Swift.max($0, 0) }, "forward + ReLU \(label)")
                    let masked = g.zipWith(relu) { $1 > 0 ? $0 : 0 }
                    let throughReLU = conv.naiveBackward(input: x, outputGradient: masked)
                    let dx = conv.backward(g, throughReLUWithOutput: relu, inputGradient: true)!
                    assertClose(dx, throughReLU.input, "dx through ReLU \(label)")
                    assertClose(conv.weight.gradient, throughReLU.weight, "dW through ReLU \(label)", accuracy: 1e-3)
                }
            }
        }
    }

    /// A layer whose batch parts run several column chunks each (``Conv2D/columnBudget``) equals
    /// the channels-first GEMM path (itself held to the naive twins).
    func testGEMMPathOverSeveralChunks() {
        var rng = SeededGenerator(seed: 12)
        let last = Conv2D(32, 16, kernelSize: 3, padding: 1, layout: .channelsLast, using: &rng)
        last.prefersWinogradKernels = false
        last.bias!.value = Tensor.normal([16], using: &rng)
        let first = last.channelsFirstTwin()
        first.prefersDirectKernels = false
        let x = Tensor.normal([5, 32, 31, 31], using: &rng), g = Tensor.normal([5, 16, 31, 31], using: &rng)
        XCTAssertGreaterThan(32 * 9 * 31 * 31 * 2, Conv2D.columnBudget / 2, "one sample per chunk: several chunks per part")
        assertClose(last.forward(x.channelsLastCopy(), training: true).channelsFirstCopy(), first.forward(x, training: true), "forward")
        assertClose(last.backward(g.channelsLastCopy()).channelsFirstCopy(), first.backward(g), "dx")
        assertClose(last.weight.gradient, first.weight.gradient, "dW", accuracy: 2e-3)
        assertClose(last.bias!.gradient, first.bias!.gradient, "db", accuracy: 2e-3)
    }

    func testWinogradPathEqualsTheNaiveTwins() throws {
        try XCTSkipUnless(DirectConvolution.processorSupported, "no AVX-512F here: the GEMM path runs")
        var rng = SeededGenerator(seed: 3)
        // (144 × 128 channels, two configurations: the backward products on BLAS, not the own kernels.)
        let shapes: [(c: Int, o: Int, h: Int, w: Int, n: Int)] = [(16, 32, 5, 6, 2), (32, 16, 4, 4, 2), (16, 16, 1, 3, 2),
                                                                 (144, 128, 1, 2, 1)]
        for s in shapes {
            let configurations = [(true, 2, false), (false, 4, false), (true, 4, true), (false, 2, true)]
            for (bias, tile, batched) in s.c * s.o > 128 * 128 ? [configurations[0], configurations[2]] : configurations {
                let conv = Conv2D(s.c, s.o, kernelSize: 3, padding: 1, bias: bias, layout: .channelsLast, using: &rng)
                conv.prefersWinogradKernels = true
                conv.winogradOutputTile = tile
                conv.winogradBatchedFloats = batched ? Int.max : 0
                conv.winogradTargetTiles = 8
                if bias { conv.bias!.value = Tensor.normal([s.o], using: &rng) }
                XCTAssertTrue(conv.usesWinogradKernels)
                XCTAssertFalse(conv.usesDirectKernels, "channels-last layers never take the channels-first direct kernels")
                let x = Tensor.normal([s.n, s.h, s.w, s.c], using: &rng)
                let g = Tensor.normal([s.n, s.h, s.w, s.o], using: &rng)
                let expected = conv.naiveForward(x)
                let naive = conv.naiveBackward(input: x, outputGradient: g)
                for threads in [1, 2] {
                    Threading.setCount(threads)
                    defer { Threading.setCount(2) }
                    let label = "F(\(tile)×\(tile)) \(batched ? "batched" : "chunked") c\(s.c) o\(s.o) \(s.h)×\(s.w) bias \(bias) threads \(threads)"
                    assertClose(conv.forward(x, training: true), expected, "forward \(label)")
                    assertClose(conv.backward(g), naive.input, "dx \(label)")
                    assertClose(conv.weight.gradient, naive.weight, "dW \(label)", accuracy: 2e-3)
                    guard bias else { continue } // (the fused ReLU on half the configurations: the naive twins are slow in debug)
                    assertClose(conv.bias!.gradient, naive.bias, "db \(label)", accuracy: 1e-3)
                    let relu = conv.forward(x, training: true, applyingReLU: true)
                    assertClose(relu, expected.map { Swift.max($0, 0) }, "forward + ReLU \(label)")
                    let throughReLU = conv.naiveBackward(input: x, outputGradient: g.zipWith(relu) { $1 > 0 ? $0 : 0 })
                    let dx = conv.backward(g, throughReLUWithOutput: relu, inputGradient: true)!
                    assertClose(dx, throughReLU.input, "dx through ReLU \(label)")
                    assertClose(conv.weight.gradient, throughReLU.weight, "dW through ReLU \(label)", accuracy: 2e-3)
                }
            }
        }
    }

    /// The products on BLAS as well as on the own kernels, with a part that gets no samples (3
    /// threads, 4 samples) and every buffer kept between batches filled with NaN first, then a
    /// second backward pass with another gradient: nothing stale may leak into the results.
    func testWinogradKeptBuffersAndBLASProducts() throws {
        try XCTSkipUnless(DirectConvolution.processorSupported, "no AVX-512F here: the GEMM path runs")
        var rng = SeededGenerator(seed: 13)
        let x = Tensor.normal([4, 3, 3, 16], using: &rng)
        let gradients = [Tensor.normal([4, 3, 3, 32], using: &rng), Tensor.normal([4, 3, 3, 32], using: &rng)]
        for own in [true, false] {
            for (tile, batched) in [(2, false), (4, true)] {
                let conv = Conv2D(16, 32, kernelSize: 3, padding: 1, layout: .channelsLast, using: &rng)
                conv.prefersWinogradKernels = true
                conv.winogradOutputTile = tile
                conv.winogradBatchedFloats = batched ? Int.max : 0
                conv.winogradTargetTiles = 4
                conv.winogradOwnKernels = own
                let expected = conv.naiveForward(x)
                Threading.setCount(3)
                defer { Threading.setCount(2) }
                let poison = [Float](repeating: .nan, count: 1 << 16)
                conv.direct.transformedGradient = poison
                conv.direct.transposedWinogradWeights = poison
                conv.direct.scratch = poison
                let label = "own \(own) F(\(tile)×\(tile)) \(batched ? "batched" : "chunked") 3 threads"
                assertClose(conv.forward(x, training: true), expected, "forward \(label)")
                for (round, g) in gradients.enumerated() {
                    let naive = conv.naiveBackward(input: x, outputGradient: g)
                    assertClose(conv.backward(g), naive.input, "dx \(label) round \(round)")
                    assertClose(conv.weight.gradient, naive.weight, "dW \(label) round \(round)", accuracy: 2e-3)
                    assertClose(conv.bias!.gradient, naive.bias, "db \(label) round \(round)", accuracy: 1e-3)
                }
            }
        }
    }

    /// Parameters-only backward stops at the first layer with parameters, also when that layer
    /// sits after parameter-free ones inside a fused pair, and does nothing on a chain without
    /// parameters.
    func testParametersOnlyBackwardSkipsLeadingLayers() {
        var rng = SeededGenerator(seed: 14)
        let net = Sequential([ChannelsLast(), BatchNorm(3, layout: .channelsLast), ReLU(),
                              Conv2D(3, 4, kernelSize: 3, padding: 1, layout: .channelsLast, using: &rng), ReLU(),
                              GlobalAvgPool(layout: .channelsLast)])
        let x = Tensor.normal([2, 3, 5, 5], using: &rng), g = Tensor.normal([2, 4], using: &rng)
        _ = net.forward(x, training: true)
        _ = net.backward(g)
        let full = net.namedParameters.map(\.parameter.gradient)
        _ = net.forward(x, training: true)
        net.backwardParameters(g)
        for (p, expected) in zip(net.namedParameters, full) {
            assertClose(p.parameter.gradient, expected, "parameters-only gradient of \(p.name)", accuracy: 1e-6)
        }
        let empty = Sequential([ChannelsLast(), ReLU()])
        _ = empty.forward(x, training: true)
        empty.backwardParameters(x.channelsLastCopy()) // nothing to learn: nothing to do, no trap
    }

    /// ResNet-18 on three-channel images (the entry transpose is a real copy then, and the stem
    /// unfolds three-channel runs): finite logits of the right shape, ∂L/∂x back in (N, C, H, W),
    /// and a training step on the trainer's parameters-only path that changes the stem's weights.
    func testResNet18OnColourImages() throws {
        let model = try ModelRegistry.build(name: "resnet18", inputShape: [3, 6, 6], outputs: 2, seed: 3)
        var rng = SeededGenerator(seed: 15)
        let x = Tensor.normal([2, 3, 6, 6], using: &rng)
        let logits = model.forward(x, training: true)
        XCTAssertEqual(logits.shape, [2, 2])
        XCTAssertTrue(logits.scalars.allSatisfy(\.isFinite))
        let dx = model.backward(Tensor.normal([2, 2], using: &rng))
        XCTAssertEqual(dx.shape, [2, 3, 6, 6])
        XCTAssertTrue(dx.scalars.allSatisfy(\.isFinite))
        let stem = model.namedParameters.first { $0.name == "1.weight" }!.parameter
        XCTAssertEqual(stem.value.shape, [64, 3, 3, 3])
        _ = model.forward(x, training: true)
        model.backwardParameters(Tensor.normal([2, 2], using: &rng))
        XCTAssertGreaterThan(stem.gradient.l2Norm(), 0)
    }

    /// `Trainer.fit` drops the model's cached activations and workspaces when it returns (the
    /// Winograd layer's scratch, U and ∂L/∂U, the GEMM path's columns, BatchNorm's input), and
    /// inference afterwards gives the same bits as before the release.
    func testFitReleasesWorkspaces() throws {
        var rng = SeededGenerator(seed: 16)
        let winograd = Conv2D(16, 16, kernelSize: 3, padding: 1, bias: false, layout: .channelsLast, using: &rng)
        winograd.prefersWinogradKernels = true
        let strided = Conv2D(1, 16, kernelSize: 3, stride: 2, padding: 1, layout: .channelsLast, using: &rng)
        let norm = BatchNorm(16, layout: .channelsLast)
        let net = Sequential([ChannelsLast(), strided, norm, ReLU(), winograd, ReLU(),
                              GlobalAvgPool(layout: .channelsLast), Dense(16, 2, using: &rng)])
        let x = Tensor.normal([8, 1, 8, 8], using: &rng)
        let y = Tensor(shape: [8, 2], scalars: (0..<8).flatMap { $0 % 2 == 0 ? [Float(1), 0] : [0, 1] })
        let config = TrainerConfig(epochs: 1, batchSize: 4, seed: 1, schedule: .constant(0.01), threads: .fixed(2))
        _ = try Trainer(config).fit(net, optimizer: Adam(), loss: SoftmaxCrossEntropy(), inputs: x, targets: y)
        if DirectConvolution.processorSupported {
            XCTAssertTrue(winograd.direct.scratch.isEmpty && winograd.direct.packedWeights.isEmpty
                          && winograd.direct.transformedGradient.isEmpty, "Winograd workspaces released")
        }
        XCTAssertTrue(strided.columns.isEmpty, "unfolded columns released")
        XCTAssertNil(norm.input, "BatchNorm's cached input released")
        let before = net.forward(x, training: false)
        net.releaseWorkspaces()
        XCTAssertEqual(net.forward(x, training: false).scalars.map(\.bitPattern), before.scalars.map(\.bitPattern))
    }

    /// A channels-first BatchNorm with the same parameters (itself held to the double twins).
    private func twins(_ c: Int, using rng: inout SeededGenerator) -> (last: BatchNorm, first: BatchNorm) {
        let last = BatchNorm(c, layout: .channelsLast), first = BatchNorm(c)
        let gamma = Tensor.uniform([c], low: 0.5, high: 1.5, using: &rng), beta = Tensor.normal([c], using: &rng)
        for bn in [last, first] {
            bn.weight.value = gamma
            bn.bias.value = beta
        }
        return (last, first)
    }

    func testBatchNormEqualsTheChannelsFirstLayer() {
        var rng = SeededGenerator(seed: 4)
        for (n, h, w, c) in [(3, 5, 4, 7), (2, 3, 3, 32), (4, 1, 1, 5)] {
            for fusedReLU in [false, true] {
                let (last, first) = twins(c, using: &rng)
                // Far from zero: a one-pass variance would cancel.
                let x = Tensor.normal([n, c, h, w], using: &rng).map { $0 * 3 + 40 }
                let g = Tensor.normal([n, c, h, w], using: &rng)
                let label = "n\(n) \(h)×\(w) c\(c) fused ReLU \(fusedReLU)"
                let yFirst = first.forward(x, training: true, applyingReLU: fusedReLU)
                let yLast = last.forward(x.channelsLastCopy(), training: true, applyingReLU: fusedReLU)
                assertClose(yLast.channelsFirstCopy(), yFirst, "training forward \(label)", accuracy: 2e-4)
                assertClose(last.runningMean.value, first.runningMean.value, "running mean \(label)", accuracy: 1e-4)
                assertClose(last.runningVariance.value, first.runningVariance.value, "running variance \(label)", accuracy: 1e-3)
                let dxFirst = fusedReLU ? first.backward(g, throughReLUWithOutput: yFirst) : first.backward(g)
                let dxLast = fusedReLU ? last.backward(g.channelsLastCopy(), throughReLUWithOutput: yLast)
                                       : last.backward(g.channelsLastCopy())
                assertClose(dxLast.channelsFirstCopy(), dxFirst, "training dx \(label)", accuracy: 2e-4)
                assertClose(last.weight.gradient, first.weight.gradient, "dγ \(label)", accuracy: 1e-3)
                assertClose(last.bias.gradient, first.bias.gradient, "dβ \(label)", accuracy: 1e-3)
                // A ReLU that ran on its own (the mask read from its output).
                let plainLast = last.forward(x.channelsLastCopy(), training: true)
                let plainFirst = first.forward(x, training: true)
                let reluFirst = plainFirst.map { Swift.max($0, 0) }
                let maskedFirst = first.backward(g, throughReLUWithOutput: reluFirst)
                let maskedLast = last.backward(g.channelsLastCopy(), throughReLUWithOutput: plainLast.map { Swift.max($0, 0) })
                assertClose(maskedLast.channelsFirstCopy(), maskedFirst, "dx through a separate ReLU \(label)")
                // Inference: the running statistics.
                let inferenceFirst = first.forward(x, training: false, applyingReLU: fusedReLU)
                let inferenceLast = last.forward(x.channelsLastCopy(), training: false, applyingReLU: fusedReLU)
                assertClose(inferenceLast.channelsFirstCopy(), inferenceFirst, "inference forward \(label)", accuracy: 1e-3)
                let inferenceDxFirst = fusedReLU ? first.backward(g, throughReLUWithOutput: inferenceFirst) : first.backward(g)
                let inferenceDxLast = fusedReLU ? last.backward(g.channelsLastCopy(), throughReLUWithOutput: inferenceLast)
                                                : last.backward(g.channelsLastCopy())
                assertClose(inferenceDxLast.channelsFirstCopy(), inferenceDxFirst, "inference dx \(label)", accuracy: 1e-3)
            }
        }
    }

    /// The thread count never changes a bit (samples summed in order in double precision).
    func testBatchNormIsThreadCountIndependent() {
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.normal([6, 4, 5, 24], using: &rng), g = Tensor.normal([6, 4, 5, 24], using: &rng)
        var results: [[Float]] = []
        for threads in [1, 2] {
            Threading.setCount(threads)
            defer { Threading.setCount(2) }
            let bn = BatchNorm(24, layout: .channelsLast)
            let y = bn.forward(x, training: true, applyingReLU: true)
            let dx = bn.backward(g, throughReLUWithOutput: y)
            results.append(y.scalars + dx.scalars + bn.weight.gradient.scalars + bn.runningVariance.value.scalars)
        }
        XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern))
    }

    func testGlobalAvgPoolEqualsTheChannelsFirstLayer() {
        var rng = SeededGenerator(seed: 6)
        let x = Tensor.normal([3, 4, 5, 6], using: &rng), g = Tensor.normal([3, 4], using: &rng)
        let first = GlobalAvgPool(), last = GlobalAvgPool(layout: .channelsLast)
        assertClose(last.forward(x.channelsLastCopy(), training: true), first.forward(x, training: true), "forward", accuracy: 1e-5)
        assertClose(last.backward(g).channelsFirstCopy(), first.backward(g), "backward", accuracy: 1e-6)
    }

    func testGradientChecks() {
        var rng = SeededGenerator(seed: 7)
        for (stride, pad, k) in [(1, 1, 3), (2, 1, 3), (2, 0, 1), (1, 0, 1)] {
            let conv = Conv2D(2, 3, kernelSize: k, stride: stride, padding: pad, layout: .channelsLast, using: &rng)
            GradientChecker.check(conv, input: Tensor.normal([2, 5, 5, 2], using: &rng))
        }
        let bn = BatchNorm(3, layout: .channelsLast)
        bn.weight.value = Tensor.uniform([3], low: 0.5, high: 1.5, using: &rng)
        bn.bias.value = Tensor.normal([3], using: &rng)
        GradientChecker.check(bn, input: Tensor.normal([4, 2, 2, 3], using: &rng), training: true, epsilon: 1e-3, tolerance: 2e-2)
        GradientChecker.check(bn, input: Tensor.normal([4, 2, 2, 3], using: &rng), training: false)
        GradientChecker.check(GlobalAvgPool(layout: .channelsLast), input: Tensor.normal([2, 3, 3, 4], using: &rng))
        GradientChecker.check(ChannelsLast(), input: Tensor.normal([2, 3, 2, 4], using: &rng))
    }

    /// A small channels-last residual network gives the channels-first network's outputs and
    /// gradients (same weights): the layouts are interchangeable end to end.
    func testResidualNetworkMatchesChannelsFirst() {
        var rngFirst = SeededGenerator(seed: 8), rngLast = SeededGenerator(seed: 8)
        func network(_ layout: ActivationLayout, _ rng: inout SeededGenerator) -> Sequential {
            var layers: [any Layer] = layout == .channelsLast ? [ChannelsLast()] : []
            layers += [
                Conv2D(2, 16, kernelSize: 3, padding: 1, bias: false, layout: layout, using: &rng),
                BatchNorm(16, layout: layout), ReLU(),
                ResidualBlock.basic(16, 32, stride: 2, layout: layout, using: &rng),
                ResidualBlock.basic(32, 32, stride: 1, layout: layout, using: &rng),
                GlobalAvgPool(layout: layout), Dense(32, 3, using: &rng),
            ]
            return Sequential(layers)
        }
        let first = network(.channelsFirst, &rngFirst), last = network(.channelsLast, &rngLast)
        var rng = SeededGenerator(seed: 9)
        let x = Tensor.normal([4, 2, 9, 9], using: &rng), g = Tensor.normal([4, 3], using: &rng)
        assertClose(last.forward(x, training: true), first.forward(x, training: true), "logits", accuracy: 1e-3)
        assertClose(last.backward(g), first.backward(g), "dx", accuracy: 1e-3)
        for (a, b) in zip(last.namedParameters, first.namedParameters) {
            XCTAssertEqual(a.name, b.name.split(separator: ".").enumerated().map { $0.offset == 0 ? String(Int($0.element)! + 1) : String($0.element) }.joined(separator: "."))
            assertClose(a.parameter.gradient, b.parameter.gradient, "gradient of \(a.name)", accuracy: 2e-3)
        }
        // Inference, on the running statistics of one training pass each.
        assertClose(last.forward(x, training: false), first.forward(x, training: false), "inference logits", accuracy: 1e-3)
        // The trainer's backward (no ∂L/∂input: ChannelsLast and the first convolution's input
        // gradient are skipped) sets the same parameter gradients.
        let full = last.namedParameters.map(\.parameter.gradient)
        _ = last.forward(x, training: true)
        last.backwardParameters(g)
        for (p, expected) in zip(last.namedParameters, full) {
            assertClose(p.parameter.gradient, expected, "parameters-only gradient of \(p.name)", accuracy: 1e-5)
        }
    }
}
