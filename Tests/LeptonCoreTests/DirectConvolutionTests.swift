import CLeptonKernels
@testable import LeptonCore
import XCTest
import LeptonTestSupport

/// The direct 3×3 kernels (Conv2D+Direct.swift) against the naive twins and the im2col + GEMM
/// path, for channel counts that are and are not multiples of 16, odd and tiny images, with and
/// without bias, the fused ReLU and 2×2 max-pool, on one and two threads.
final class DirectConvolutionTests: XCTestCase {
    private func assertClose(_ a: Tensor, _ b: Tensor, _ message: String, accuracy: Float = 2e-4,
                             file: StaticString = #filePath, line: UInt = #line) {
        assertTensorsClose(a, b, message, accuracy: accuracy, file: file, line: line)
    }

    /// A GEMM-path twin of `conv` with the same weights.
    private func gemmTwin(_ conv: Conv2D, bias: Bool, using rng: inout SeededGenerator) -> Conv2D {
        let twin = Conv2D(conv.inChannels, conv.outChannels, kernelSize: 3, padding: 1, bias: bias, using: &rng)
        twin.prefersDirectKernels = false
        twin.weight.value = conv.weight.value
        if bias { twin.bias!.value = conv.bias!.value }
        return twin
    }

    /// Shapes small enough for the naive twins in a debug build.
    private let shapes: [(c: Int, o: Int, h: Int, w: Int)] = [
        (3, 5, 6, 7), (17, 18, 3, 5), (2, 2, 1, 1), (4, 33, 4, 4), (5, 20, 3, 11), (2, 64, 2, 9),
        (3, 32, 5, 7), // two rows of 7 per tile, and a last row alone
    ]
    /// cnn-small's three convolutions, compared with the GEMM path.
    private let cnnSmallShapes: [(c: Int, o: Int, h: Int, w: Int)] = [(1, 16, 28, 28), (16, 32, 14, 14), (32, 64, 7, 7),
                                                                      // ∂L/∂x in blocks of 64 channels, 4-pixel rows
                                                                      (64, 16, 4, 4)]

    func testTheKernelsRunOnThisMachine() throws {
        try XCTSkipUnless(DirectConvolution.available, "no AVX-512F here (or LEPTON_CONV_KERNELS=gemm): the GEMM path runs")
        var rng = SeededGenerator(seed: 1)
        XCTAssertTrue(Conv2D(3, 8, kernelSize: 3, padding: 1, using: &rng).usesDirectKernels)
        XCTAssertFalse(Conv2D(256, 256, kernelSize: 3, padding: 1, using: &rng).usesDirectKernels, "large layers go to OpenBLAS")
        XCTAssertFalse(Conv2D(3, 8, kernelSize: 3, stride: 2, padding: 1, using: &rng).usesDirectKernels)
        XCTAssertFalse(Conv2D(3, 8, kernelSize: 1, using: &rng).usesDirectKernels)
    }

    func testForwardAndBackwardEqualTheNaiveTwins() {
        var rng = SeededGenerator(seed: 41)
        for threads in [1, 2] {
            Threading.setCount(threads)
            defer { Threading.setCount(2) }
            for s in shapes {
                for bias in [true, false] {
                    let conv = Conv2D(s.c, s.o, kernelSize: 3, padding: 1, bias: bias, using: &rng)
                    if bias { conv.bias!.value = Tensor.normal([s.o], using: &rng) }
                    let x = Tensor.normal([3, s.c, s.h, s.w], using: &rng)
                    let label = "c\(s.c) o\(s.o) \(s.h)×\(s.w) bias \(bias) threads \(threads)"
                    let y = conv.forward(x, training: true)
                    assertClose(y, conv.naiveForward(x), "forward \(label)")
                    let g = Tensor.normal(y.shape, using: &rng)
                    let dx = conv.backward(g)
                    let naive = conv.naiveBackward(input: x, outputGradient: g)
                    assertClose(dx, naive.input, "dx \(label)")
                    assertClose(conv.weight.gradient, naive.weight, "dW \(label)", accuracy: 1e-3)
                    if bias { assertClose(conv.bias!.gradient, naive.bias, "db \(label)", accuracy: 1e-3) }
                    // Parameter gradients only, after an inference pass in between (nothing kept).
                    _ = conv.forward(x, training: false)
                    conv.backwardParameters(g)
                    assertClose(conv.weight.gradient, naive.weight, "dW without kept planes \(label)", accuracy: 1e-3)
                }
            }
        }
    }

    func testFusedReLUAndPoolEqualTheGemmPath() {
        var rng = SeededGenerator(seed: 42)
        for threads in [1, 2] {
            Threading.setCount(threads)
            defer { Threading.setCount(2) }
            for s in shapes + cnnSmallShapes where s.h >= 2 && s.w >= 2 {
                let conv = Conv2D(s.c, s.o, kernelSize: 3, padding: 1, using: &rng)
                conv.bias!.value = Tensor.normal([s.o], using: &rng)
                let twin = gemmTwin(conv, bias: true, using: &rng)
                let x = Tensor.normal([3, s.c, s.h, s.w], using: &rng)
                let label = "c\(s.c) o\(s.o) \(s.h)×\(s.w) threads \(threads)"
                // Inference: Conv → ReLU → 2×2 max-pool in one pass, and Conv → ReLU.
                assertClose(conv.forward(x, training: false, applyingReLU: true, pooling2x2: true),
                            twin.forward(x, training: false, applyingReLU: true, pooling2x2: true), "pooled \(label)")
                // Training: Conv → ReLU, then backward through the ReLU and a max-pool.
                let y = conv.forward(x, training: true, applyingReLU: true)
                assertClose(y, twin.forward(x, training: true, applyingReLU: true), "ReLU \(label)")
                let pool = MaxPool2D(kernelSize: 2, stride: 2)
                let pooled = pool.forward(y, training: true)
                let g = Tensor.normal(pooled.shape, using: &rng)
                let dx = conv.backward(pooledGradient: g, poolArgmax: pool.argmax, throughReLUWithOutput: y, inputGradient: true)!
                let twinDx = twin.backward(pooledGradient: g, poolArgmax: pool.argmax, throughReLUWithOutput: y, inputGradient: true)!
                assertClose(dx, twinDx, "dx through pool \(label)")
                assertClose(conv.weight.gradient, twin.weight.gradient, "dW through pool \(label)", accuracy: 1e-3)
                assertClose(conv.bias!.gradient, twin.bias!.gradient, "db through pool \(label)", accuracy: 1e-3)
                let gy = Tensor.normal(y.shape, using: &rng)
                _ = conv.forward(x, training: true, applyingReLU: true)
                _ = twin.forward(x, training: true, applyingReLU: true)
                assertClose(conv.backward(gy, throughReLUWithOutput: y, inputGradient: true)!,
                            twin.backward(gy, throughReLUWithOutput: y, inputGradient: true)!, "dx through ReLU \(label)")
                assertClose(conv.weight.gradient, twin.weight.gradient, "dW through ReLU \(label)", accuracy: 1e-3)
            }
        }
    }

    func testVectorisedUnpoolEqualsTheScalarTwin() throws {
        try XCTSkipUnless(DirectConvolution.processorSupported, "no AVX-512F here: the scalar unpooling runs")
        var rng = SeededGenerator(seed: 45)
        for (h, w) in [(28, 28), (14, 14), (7, 7), (5, 9), (2, 2), (3, 35), (40, 2)] {
            let x = Tensor.normal([1, 1, h, w], using: &rng)
            let pool = MaxPool2D(kernelSize: 2, stride: 2)
            let pooled = pool.forward(x, training: true)
            // Half the ReLU outputs are zero, so the mask matters.
            let y = Tensor(shape: x.shape, scalars: x.scalars.map { max($0, 0) })
            let g = Tensor.normal(pooled.shape, using: &rng)
            var scalar = [Float](repeating: .nan, count: h * w), vector = [Float](repeating: .nan, count: h * w)
            g.withUnsafeBufferPointer { gp in
                pool.argmax.withUnsafeBufferPointer { ap in
                    y.withUnsafeBufferPointer { yp in
                        scalar.withUnsafeMutableBufferPointer { sp in
                            Conv2D.unpool2x2(gp.baseAddress!, argmax: ap.baseAddress!, reluOutput: yp.baseAddress!,
                                             width: w, height: h, into: sp.baseAddress!)
                        }
                        vector.withUnsafeMutableBufferPointer { vp in
                            lepton_unpool2x2_relu(gp.baseAddress!, ap.baseAddress!, yp.baseAddress!, Int32(h), Int32(w),
                                                  vp.baseAddress!)
                        }
                    }
                }
            }
            XCTAssertEqual(vector, scalar, "\(h)×\(w)")
        }
    }

    func testFusedTrainingPoolEqualsTheUnfusedLayers() throws {
        try XCTSkipUnless(DirectConvolution.available, "no AVX-512F here (or LEPTON_CONV_KERNELS=gemm): nothing is fused in training")
        var rng = SeededGenerator(seed: 46)
        for threads in [1, 2] {
            Threading.setCount(threads)
            defer { Threading.setCount(2) }
            for s in [(c: 1, o: 16, h: 28, w: 28), (c: 16, o: 32, h: 14, w: 14), (c: 3, o: 20, h: 7, w: 9), (c: 2, o: 5, h: 2, w: 3)] {
                let conv = Conv2D(s.c, s.o, kernelSize: 3, padding: 1, using: &rng)
                conv.bias!.value = Tensor.normal([s.o], using: &rng)
                let twin = gemmTwin(conv, bias: true, using: &rng)
                let fusedPool = MaxPool2D(kernelSize: 2, stride: 2), twinPool = MaxPool2D(kernelSize: 2, stride: 2)
                let fused = Sequential([conv, ReLU(), fusedPool]), unfused = Sequential([twin, ReLU(), twinPool])
                let x = Tensor.normal([3, s.c, s.h, s.w], using: &rng)
                let label = "c\(s.c) o\(s.o) \(s.h)×\(s.w) threads \(threads)"
                let y = fused.forward(x, training: true)
                XCTAssertNotNil(conv.direct.pooledOutput, "the training pass was fused: \(label)")
                assertClose(y, unfused.forward(x, training: true), "pooled output \(label)")
                // The tie rule, against the same convolution values unfused (the GEMM twin's values
                // differ in the last bit, which may break a tie differently).
                let unfusedPool = MaxPool2D(kernelSize: 2, stride: 2)
                let direct = Conv2D(s.c, s.o, kernelSize: 3, padding: 1, using: &rng)
                direct.weight.value = conv.weight.value
                direct.bias!.value = conv.bias!.value
                let unfusedPooled = unfusedPool.forward(direct.forward(x, training: true, applyingReLU: true), training: true)
                XCTAssertEqual(y, unfusedPooled, "pooled output, bit for bit \(label)")
                XCTAssertEqual(fusedPool.argmax, unfusedPool.argmax, "arg-max offsets \(label)")
                let g = Tensor.normal(y.shape, using: &rng)
                assertClose(fused.backward(g), unfused.backward(g), "dx \(label)")
                assertClose(conv.weight.gradient, twin.weight.gradient, "dW \(label)", accuracy: 1e-3)
                assertClose(conv.bias!.gradient, twin.bias!.gradient, "db \(label)", accuracy: 1e-3)
                // The pooled-output mask gather equals its scalar twin.
                var scalar = [Float](repeating: .nan, count: s.h * s.w), vector = scalar
                g.withUnsafeBufferPointer { gp in
                    fusedPool.argmax.withUnsafeBufferPointer { ap in
                        y.withUnsafeBufferPointer { yp in
                            scalar.withUnsafeMutableBufferPointer { sp in
                                Conv2D.unpool2x2(gp.baseAddress!, argmax: ap.baseAddress!, pooledOutput: yp.baseAddress!,
                                                 width: s.w, height: s.h, into: sp.baseAddress!)
                            }
                            vector.withUnsafeMutableBufferPointer { vp in
                                lepton_unpool2x2_pooled_mask(gp.baseAddress!, ap.baseAddress!, yp.baseAddress!, Int32(s.h),
                                                             Int32(s.w), vp.baseAddress!)
                            }
                        }
                    }
                }
                XCTAssertEqual(vector, scalar, "pooled-mask unpooling \(label)")
            }
        }
    }

    func testFusedGlobalAverageEqualsTheUnfusedLayers() throws {
        try XCTSkipUnless(DirectConvolution.available, "no AVX-512F here (or LEPTON_CONV_KERNELS=gemm): nothing is fused")
        var rng = SeededGenerator(seed: 47)
        for s in [(c: 32, o: 64, h: 7, w: 7), (c: 3, o: 20, h: 5, w: 9)] {
            let conv = Conv2D(s.c, s.o, kernelSize: 3, padding: 1, using: &rng)
            conv.bias!.value = Tensor.normal([s.o], using: &rng)
            let twin = gemmTwin(conv, bias: true, using: &rng)
            let x = Tensor.normal([4, s.c, s.h, s.w], using: &rng)
            let average = GlobalAvgPool(), relu = ReLU()
            let fused = Sequential([conv, relu, average]).forward(x, training: false)
            XCTAssertNil(relu.output, "the fused pass leaves no ReLU state behind")
            let unfused = Sequential([twin, ReLU(), GlobalAvgPool()]).forward(x, training: false)
            XCTAssertEqual(fused.shape, [4, s.o])
            assertClose(fused, unfused, "c\(s.c) o\(s.o) \(s.h)×\(s.w)", accuracy: 1e-5)
        }
    }

    func testPaddingEqualsItsTwin() throws {
        try XCTSkipUnless(DirectConvolution.processorSupported, "no AVX-512F here")
        var rng = SeededGenerator(seed: 48)
        for (c, h, w) in [(1, 28, 28), (3, 14, 14), (2, 7, 7), (2, 1, 1), (1, 3, 15), (2, 4, 30), (1, 2, 47)] {
            let d = Conv2D.DirectGeometry(c: c, o: 1, h: h, w: w)
            let x = Tensor.normal([c, h, w], using: &rng)
            var vector = [Float](repeating: .nan, count: c * d.plane), naive = vector
            x.withUnsafeBufferPointer { xp in
                vector.withUnsafeMutableBufferPointer { Conv2D.pad(xp.baseAddress!, channels: c, d, into: $0.baseAddress!) }
                naive.withUnsafeMutableBufferPointer { Conv2D.naivePad(xp.baseAddress!, channels: c, d, into: $0.baseAddress!) }
            }
            XCTAssertEqual(vector, naive, "\(c)×\(h)×\(w)")
        }
    }

    func testBatchSizesChunksAndAThreadChangeBetweenPasses() throws {
        var rng = SeededGenerator(seed: 49)
        defer { Threading.setCount(2) }
        for n in [1, 40] {
            let conv = Conv2D(8, 16, kernelSize: 3, padding: 1, using: &rng)
            let twin = gemmTwin(conv, bias: true, using: &rng)
            twin.bias!.value = conv.bias!.value
            let x = Tensor.normal([n, 8, 6, 5], using: &rng)
            Threading.setCount(2)
            assertClose(conv.forward(x, training: true), twin.forward(x, training: true), "forward n \(n)")
            let g = Tensor.normal([n, 16, 6, 5], using: &rng)
            Threading.setCount(1)
            assertClose(conv.backward(g), twin.backward(g), "dx n \(n), 2 threads then 1")
            assertClose(conv.weight.gradient, twin.weight.gradient, "dW n \(n)", accuracy: 1e-3)
        }
    }

    func testBackwardParametersAfterTheFusedTrainingPool() throws {
        try XCTSkipUnless(DirectConvolution.available, "no AVX-512F here: nothing is fused in training")
        var rng = SeededGenerator(seed: 50)
        let conv = Conv2D(3, 16, kernelSize: 3, padding: 1, using: &rng)
        let twin = gemmTwin(conv, bias: true, using: &rng)
        twin.bias!.value = conv.bias!.value
        let fused = Sequential([conv, ReLU(), MaxPool2D(kernelSize: 2)]), unfused = Sequential([twin, ReLU(), MaxPool2D(kernelSize: 2)])
        let x = Tensor.normal([4, 3, 8, 8], using: &rng)
        let y = fused.forward(x, training: true)
        _ = unfused.forward(x, training: true)
        let g = Tensor.normal(y.shape, using: &rng)
        fused.backwardParameters(g)
        unfused.backwardParameters(g)
        assertClose(conv.weight.gradient, twin.weight.gradient, "dW", accuracy: 1e-3)
        assertClose(conv.bias!.gradient, twin.bias!.gradient, "db", accuracy: 1e-3)
    }

    /// A NaN stays NaN through the fused ReLU (as `Swift.max(x, 0)` keeps it), so a diverging run
    /// reaches the trainer's non-finite-loss check instead of silently going dead.
    func testNaNPropagatesThroughTheFusedPasses() throws {
        var rng = SeededGenerator(seed: 51)
        let conv = Conv2D(2, 16, kernelSize: 3, padding: 1, using: &rng)
        let twin = gemmTwin(conv, bias: true, using: &rng)
        twin.bias!.value = conv.bias!.value
        var x = Tensor.normal([2, 2, 6, 6], using: &rng)
        x[0, 1, 2, 3] = .nan
        for training in [false, true] {
            let a = Sequential([conv, ReLU(), MaxPool2D(kernelSize: 2)]).forward(x, training: training)
            let b = Sequential([twin, ReLU(), MaxPool2D(kernelSize: 2)]).forward(x, training: training)
            XCTAssertTrue(a.scalars.contains { $0.isNaN }, "training \(training)")
            XCTAssertEqual(a.scalars.map(\.isNaN), b.scalars.map(\.isNaN), "training \(training)")
            let plain = conv.forward(x, training: training, applyingReLU: true)
            XCTAssertEqual(plain.scalars.map(\.isNaN), twin.forward(x, training: training, applyingReLU: true).scalars.map(\.isNaN))
        }
        let average = Sequential([conv, ReLU(), GlobalAvgPool()]).forward(x, training: false)
        XCTAssertEqual(average.scalars.map(\.isNaN), Sequential([twin, ReLU(), GlobalAvgPool()]).forward(x, training: false).scalars.map(\.isNaN))
    }

    /// The inference chain (pooled outputs written pixel-major into the next layer's padded
    /// input) gives exactly what the layers give one by one.
    func testInferenceChainEqualsTheLayersOneByOne() throws {
        try XCTSkipUnless(DirectConvolution.available, "no AVX-512F here: no chain")
        var rng = SeededGenerator(seed: 52)
        let cnn = try ModelRegistry.build(name: "cnn-small", inputShape: [1, 28, 28], outputs: 2, seed: 5)
        let conv1 = Conv2D(3, 16, kernelSize: 3, padding: 1, using: &rng), conv2 = Conv2D(16, 20, kernelSize: 3, padding: 1, using: &rng)
        conv1.bias!.value = Tensor.normal([16], using: &rng)
        conv2.bias!.value = Tensor.normal([20], using: &rng)
        let pooledEnd = Sequential([conv1, ReLU(), MaxPool2D(kernelSize: 2), conv2, ReLU(), MaxPool2D(kernelSize: 2)])
        // Later stages whose input channels are not a multiple of 16 (20 → 32 per pixel), and
        // blocks of 4 and 1 channel vectors in the pixel-major kernel.
        let oddChannels = Sequential([Conv2D(3, 20, kernelSize: 3, padding: 1, using: &rng), ReLU(), MaxPool2D(kernelSize: 2),
                                      Conv2D(20, 64, kernelSize: 3, padding: 1, using: &rng), ReLU(), MaxPool2D(kernelSize: 2),
                                      Conv2D(64, 16, kernelSize: 3, padding: 1, using: &rng), ReLU(), GlobalAvgPool()])
        let small = { (h: Int, w: Int) in try ModelRegistry.build(name: "cnn-small", inputShape: [1, h, w], outputs: 2, seed: 6) }
        let cases: [(Sequential, Tensor, Int)] = [
            (cnn, Tensor.normal([37, 1, 28, 28], using: &rng), 3), (pooledEnd, Tensor.normal([5, 3, 11, 9], using: &rng), 2),
            (oddChannels, Tensor.normal([3, 3, 12, 10], using: &rng), 3),
            // The last stage's image is 1 × 1 or 1 × w: its average still takes one pixel of buffer.
            (try small(4, 4), Tensor.normal([3, 1, 4, 4], using: &rng), 3), (try small(7, 7), Tensor.normal([3, 1, 7, 7], using: &rng), 3),
            (try small(28, 5), Tensor.normal([3, 1, 28, 5], using: &rng), 3),
        ]
        defer { Threading.setCount(2) }
        for threads in [1, 2] {
            Threading.setCount(threads)
            for (model, x, stages) in cases {
                let chain = try XCTUnwrap(DirectInferenceChain.match(model.layers, from: 0, inputShape: x.shape))
                XCTAssertEqual(chain.stages.count, stages, "\(x.shape)")
                let chained = model.forward(x, training: false)
                var layered = x
                for layer in model.layers { layered = layer.forward(layered, training: false) }
                XCTAssertEqual(chained.shape, layered.shape)
                XCTAssertEqual(chained, layered, "chain vs layers one by one, \(threads) threads")
                _ = model.forward(x, training: false)
                for layer in model.layers {
                    if let relu = layer as? ReLU { XCTAssertNil(relu.output) }
                    if let pool = layer as? MaxPool2D { XCTAssertTrue(pool.argmax.isEmpty) }
                    if let conv = layer as? Conv2D { XCTAssertNil(conv.direct.pooledOutput) }
                }
            }
        }
    }

    func testGradientCheck() {
        var rng = SeededGenerator(seed: 43)
        let conv = Conv2D(3, 17, kernelSize: 3, padding: 1, using: &rng)
        GradientChecker.check(conv, input: Tensor.normal([2, 3, 5, 4], using: &rng), epsilon: 1e-2)
    }

    func testSameBitsOnEveryRunForAThreadCount() {
        var rng = SeededGenerator(seed: 44)
        let conv = Conv2D(8, 32, kernelSize: 3, padding: 1, using: &rng)
        let x = Tensor.normal([6, 8, 9, 9], using: &rng)
        let g = Tensor.normal([6, 32, 9, 9], using: &rng)
        var runs: [(Tensor, Tensor, Tensor)] = []
        for _ in 0..<2 {
            let y = conv.forward(x, training: true)
            let dx = conv.backward(g)
            runs.append((y, dx, conv.weight.gradient))
        }
        XCTAssertEqual(runs[0].0, runs[1].0)
        XCTAssertEqual(runs[0].1, runs[1].1)
        XCTAssertEqual(runs[0].2, runs[1].2)
    }
}
