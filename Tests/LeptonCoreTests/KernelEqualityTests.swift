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
                                          (4, 2, 5, 1, 2, 6, 6), (2, 2, 2, 3, 0, 7, 8)] {
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
