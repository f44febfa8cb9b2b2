import LeptonCore
import XCTest

/// Every optimized kernel equals its naive twin, on one and on two threads.
final class KernelEqualityTests: XCTestCase {
    override func tearDown() { Threading.setCount(min(2, Threading.availableCores)) }

    private func assertClose(_ a: Tensor, _ b: Tensor, _ message: String, accuracy: Float = 1e-4,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, message, file: file, line: line)
        var worst: Float = 0
        for i in 0..<min(a.count, b.count) { worst = max(worst, abs(a[flat: i] - b[flat: i]) / max(1, abs(b[flat: i]))) }
        XCTAssertLessThanOrEqual(worst, accuracy, message, file: file, line: line)
    }

    func testConv2DIm2colGemmEqualsDirectConvolution() {
        var rng = SeededGenerator(seed: 21)
        for threads in [1, 2] {
            Threading.setCount(threads)
            for (c, o, k, s, p, h, w) in [(1, 4, 3, 1, 1, 7, 6), (3, 5, 3, 2, 1, 8, 8), (2, 3, 1, 2, 0, 5, 5),
                                          (4, 2, 5, 1, 2, 6, 6), (2, 2, 2, 3, 0, 7, 8),
                                          // "same"-width fast paths: kernel taller than the image, 1×1.
                                          (2, 3, 5, 1, 2, 2, 5), (3, 2, 1, 1, 0, 4, 5)] {
                let conv = Conv2D(c, o, kernelSize: k, stride: s, padding: p, using: &rng)
                conv.bias!.value = Tensor.normal([o], using: &rng)
                let x = Tensor.normal([3, c, h, w], using: &rng)
                let y = conv.forward(x, training: true)
                let label = "c\(c) o\(o) k\(k) s\(s) p\(p) threads \(threads)"
                assertClose(y, conv.naiveForward(x), "forward \(label)")
                let g = Tensor.normal(y.shape, using: &rng)
                let dx = conv.backward(g)
                let naive = conv.naiveBackward(input: x, outputGradient: g)
                assertClose(dx, naive.input, "dx \(label)")
                assertClose(conv.weight.gradient, naive.weight, "dW \(label)")
                assertClose(conv.bias!.gradient, naive.bias, "db \(label)")
            }
        }
    }

    func testConv2DChunkedBatchEqualsNaive() {
        // A batch large enough to need several column chunks.
        var rng = SeededGenerator(seed: 22)
        let conv = Conv2D(8, 2, kernelSize: 3, padding: 1, using: &rng)
        let x = Tensor.normal([5, 8, 240, 240], using: &rng).sliceBatch(0..<5)
        XCTAssertGreaterThan(8 * 9 * 240 * 240 * 5, 1 << 22)
        let y = conv.forward(x, training: false)
        // Compare a few output samples against the direct sum.
        for (n, oc, i, j) in [(0, 0, 0, 0), (4, 1, 239, 239), (2, 0, 120, 7), (3, 1, 0, 239)] {
            var sum = Double(conv.bias!.value[oc])
            for c in 0..<8 { for u in 0..<3 { for v in 0..<3 {
                let iy = i - 1 + u, ix = j - 1 + v
                if iy >= 0, iy < 240, ix >= 0, ix < 240 { sum += Double(conv.weight.value[oc, c, u, v]) * Double(x[n, c, iy, ix]) }
            } } }
            XCTAssertEqual(y[n, oc, i, j], Float(sum), accuracy: 1e-4)
        }
    }

    func testPoolingEqualsNaiveTwins() {
        var rng = SeededGenerator(seed: 23)
        for threads in [1, 2] {
            Threading.setCount(threads)
            for (k, s) in [(2, 2), (3, 2), (3, 1)] {
                let x = Tensor.normal([3, 4, 7, 7], using: &rng)
                let maxPool = MaxPool2D(kernelSize: k, stride: s)
                let y = maxPool.forward(x, training: true)
                assertClose(y, maxPool.naiveForward(x), "max forward k\(k) s\(s)", accuracy: 0)
                let g = Tensor.normal(y.shape, using: &rng)
                assertClose(maxPool.backward(g), maxPool.naiveBackward(input: x, outputGradient: g), "max backward", accuracy: 1e-6)
                let avgPool = AvgPool2D(kernelSize: k, stride: s)
                assertClose(avgPool.forward(x, training: true), avgPool.naiveForward(x), "avg forward k\(k) s\(s)", accuracy: 1e-6)
            }
        }
    }
}

/// The specialised ReLU loops, the parameters-only backward and the reused convolution
/// workspaces against their generic twins.
final class FastPathEqualityTests: XCTestCase {
    override func tearDown() { Threading.setCount(min(2, Threading.availableCores)) }

    func testReLUEqualsTheGenericElementwisePath() {
        var rng = SeededGenerator(seed: 31)
        for threads in [1, 2] {
            Threading.setCount(threads)
            // Large enough to be split over two threads; includes exact zeros.
            var x = Tensor.normal([3, 5, 90, 90], using: &rng)
            x[0, 0, 0, 0] = 0
            let fast = ReLU(), generic = LeakyReLU(slope: 0)
            let y = fast.forward(x, training: true)
            XCTAssertEqual(y, generic.forward(x, training: true))
            let g = Tensor.normal(x.shape, using: &rng)
            XCTAssertEqual(fast.backward(g), generic.backward(g))
        }
    }

    func testBackwardParametersMatchesFullBackwardAndReusedColumnsStayCorrect() {
        var rng = SeededGenerator(seed: 32)
        let conv = Conv2D(2, 3, kernelSize: 3, padding: 1, using: &rng)
        let x1 = Tensor.normal([4, 2, 6, 5], using: &rng), x2 = Tensor.normal([2, 2, 6, 5], using: &rng)
        // Training forward on x1, an inference forward on x2 in between (as validation does),
        // then training on x2: the cached columns must follow the latest call.
        _ = conv.forward(x1, training: true)
        _ = conv.forward(x2, training: false)
        let y = conv.forward(x2, training: true)
        let g = Tensor.normal(y.shape, using: &rng)
        conv.backwardParameters(g)
        let naive = conv.naiveBackward(input: x2, outputGradient: g)
        for i in 0..<naive.weight.count {
            XCTAssertEqual(conv.weight.gradient[flat: i], naive.weight[flat: i], accuracy: 1e-4)
        }
        let partial = conv.weight.gradient
        _ = conv.backward(g)
        XCTAssertEqual(conv.weight.gradient, partial, "both backward forms give the same ∂L/∂W")

        // After an inference-mode forward nothing is cached: backward unfolds the input itself.
        for threads in [1, 2] {
            Threading.setCount(threads)
            _ = conv.forward(x1, training: false)
            let g1 = Tensor.normal([4, 3, 6, 5], using: &rng)
            let dx = conv.backward(g1)
            let reference = conv.naiveBackward(input: x1, outputGradient: g1)
            for i in 0..<dx.count { XCTAssertEqual(dx[flat: i], reference.input[flat: i], accuracy: 1e-4) }
            for i in 0..<reference.weight.count {
                XCTAssertEqual(conv.weight.gradient[flat: i], reference.weight[flat: i], accuracy: 1e-4)
            }
        }

        // A network's parameters-only backward equals its full backward's parameter gradients.
        let net = try! ModelRegistry.build(name: "cnn-small", inputShape: [1, 8, 8], outputs: 2, seed: 3)
        let input = Tensor.normal([3, 1, 8, 8], using: &rng)
        let gy = Tensor.normal([3, 2], using: &rng)
        _ = net.forward(input, training: true)
        net.backwardParameters(gy)
        let first = net.parameters.map(\.gradient)
        _ = net.forward(input, training: true)
        _ = net.backward(gy)
        XCTAssertEqual(net.parameters.map(\.gradient), first)
    }
}

/// Sequential fuses Conv2D → ReLU into one step; the values and gradients are those of the
/// two layers run one after the other.
final class FusedConvReLUTests: XCTestCase {
    func testFusedForwardAndBackwardEqualLayerByLayer() {
        var rng = SeededGenerator(seed: 41)
        let net = try! ModelRegistry.build(name: "cnn-small", inputShape: [1, 12, 10], outputs: 3, seed: 5)
        let x = Tensor.normal([4, 1, 12, 10], using: &rng)
        let gy = Tensor.normal([4, 3], using: &rng)
        for training in [true, false] {
            let fused = net.forward(x, training: training)
            var chained = x
            for layer in net.layers { chained = layer.forward(chained, training: training) }
            XCTAssertEqual(fused, chained, "training \(training)")
        }
        _ = net.forward(x, training: true)
        let dxFused = net.backward(gy)
        let gradientsFused = net.parameters.map(\.gradient)
        var h = x
        for layer in net.layers { h = layer.forward(h, training: true) }
        var g = gy
        for layer in net.layers.reversed() { g = layer.backward(g) }
        XCTAssertEqual(dxFused, g)
        XCTAssertEqual(net.parameters.map(\.gradient), gradientsFused)
    }
}
