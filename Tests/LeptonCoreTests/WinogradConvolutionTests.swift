import CLeptonKernels
@testable import LeptonCore
import Foundation
import XCTest
import LeptonTestSupport

/// Winograd F(2×2, 3×3) and F(4×4, 3×3) (Conv2D+Winograd.swift) against the naive twins and the direct and GEMM
/// paths: odd, even and tiny images (last tiles that run past the edge), batches that span
/// several chunks, the fused ReLU and max-pool, one and two threads.
final class WinogradConvolutionTests: XCTestCase {
    private func assertClose(_ a: Tensor, _ b: Tensor, _ message: String, accuracy: Float = 2e-4,
                             file: StaticString = #filePath, line: UInt = #line) {
        assertTensorsClose(a, b, message, accuracy: accuracy, file: file, line: line)
    }

    /// A layer on the Winograd path: chunked (the batch split over threads) or `batched` (the
    /// whole batch's transforms, products split by tile position).
    private func winogradConv(_ c: Int, _ o: Int, bias: Bool, tile: Int = 2, batched: Bool = false,
                              using rng: inout SeededGenerator) -> Conv2D {
        let conv = Conv2D(c, o, kernelSize: 3, padding: 1, bias: bias, using: &rng)
        conv.prefersWinogradKernels = true
        conv.winogradOutputTile = tile
        conv.winogradBatchedFloats = batched ? Int.max : 0
        conv.winogradTargetTiles = 8 // chunks of 2 samples of 4×4: every part runs several
        if bias { conv.bias!.value = Tensor.normal([o], using: &rng) }
        return conv
    }

    /// Equal bit for bit (NaNs included), reporting only the first difference.
    private func assertBitEqual(_ a: [Float], _ b: [Float], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        if let i = a.indices.first(where: { i in i < b.count && a[i].bitPattern != b[i].bitPattern }) {
            XCTFail("\(message): first difference at \(i): \(a[i]) vs \(b[i])", file: file, line: line)
        }
    }

    private let shapes: [(c: Int, o: Int, h: Int, w: Int, n: Int)] = [
        (16, 16, 6, 6, 3), (16, 32, 7, 7, 1), (32, 16, 1, 1, 2), (16, 16, 4, 4, 7), (16, 16, 5, 3, 1), (16, 16, 2, 9, 4),
    ]

    func testTheWinogradPathIsChosenForLargeLayers() throws {
        try XCTSkipUnless(DirectConvolution.processorSupported, "no AVX-512F here: the GEMM path runs")
        try XCTSkipUnless(ConvolutionKernels.selected == .auto, "LEPTON_CONV_KERNELS overrides the choice")
        var rng = SeededGenerator(seed: 1)
        let large = Conv2D(256, 256, kernelSize: 3, padding: 1, bias: false, using: &rng)
        XCTAssertTrue(large.usesWinogradKernels)
        XCTAssertFalse(large.usesDirectKernels)
        XCTAssertTrue(Conv2D(64, 64, kernelSize: 3, padding: 1, using: &rng).usesWinogradKernels)
        let narrow = Conv2D(32, 64, kernelSize: 3, padding: 1, using: &rng)
        XCTAssertFalse(narrow.usesWinogradKernels, "layers under 64 channels stay direct")
        XCTAssertTrue(narrow.usesDirectKernels)
        XCTAssertFalse(Conv2D(256, 256, kernelSize: 3, stride: 2, padding: 1, using: &rng).usesWinogradKernels)
        XCTAssertFalse(Conv2D(250, 256, kernelSize: 3, padding: 1, using: &rng).usesWinogradKernels, "channels not ÷ 16")
    }

    /// F(4×4) wherever its tiles cover no more padding than F(2×2)'s: ResNet-18's 28 × 28, 7 × 7
    /// and 4 × 4 layers (512 channels included); F(2×2) on 14 × 14 (16 × 16 against 14 × 14).
    func testTileSizeChoice() throws {
        try XCTSkipIf(ProcessInfo.processInfo.environment["LEPTON_WINOGRAD_TILE"] != nil, "LEPTON_WINOGRAD_TILE overrides the choice")
        XCTAssertEqual(ConvolutionKernels.winogradOutputTile(inChannels: 64, outChannels: 64, height: 28, width: 28), 4)
        XCTAssertEqual(ConvolutionKernels.winogradOutputTile(inChannels: 128, outChannels: 128, height: 14, width: 14), 2)
        XCTAssertEqual(ConvolutionKernels.winogradOutputTile(inChannels: 256, outChannels: 256, height: 7, width: 7), 4)
        XCTAssertEqual(ConvolutionKernels.winogradOutputTile(inChannels: 512, outChannels: 512, height: 4, width: 4), 4)
        XCTAssertEqual(ConvolutionKernels.winogradOutputTile(inChannels: 64, outChannels: 64, height: 6, width: 5), 2)
    }

    func testForwardAndBackwardEqualTheNaiveTwins() throws {
        try XCTSkipUnless(DirectConvolution.processorSupported, "no AVX-512F here: the GEMM path runs")
        var rng = SeededGenerator(seed: 51)
        for s in shapes {
            for (bias, tile, batched) in [(true, 2, false), (false, 4, false), (true, 4, true), (false, 2, true)] {
                let conv = winogradConv(s.c, s.o, bias: bias, tile: tile, batched: batched, using: &rng)
                XCTAssertTrue(conv.usesWinogradKernels)
                let x = Tensor.normal([s.n, s.c, s.h, s.w], using: &rng)
                let g = Tensor.normal([s.n, s.o, s.h, s.w], using: &rng)
                let expected = conv.naiveForward(x)
                let naive = conv.naiveBackward(input: x, outputGradient: g)
                for threads in [1, 2] {
                    Threading.setCount(threads)
                    defer { Threading.setCount(2) }
                    let label = "F(\(tile)×\(tile), 3×3) \(batched ? "batched" : "chunked") c\(s.c) o\(s.o) \(s.h)×\(s.w) n\(s.n) bias \(bias) threads \(threads)"
                    assertClose(conv.forward(x, training: true), expected, "forward \(label)")
                    assertClose(conv.backward(g), naive.input, "dx \(label)")
                    assertClose(conv.weight.gradient, naive.weight, "dW \(label)", accuracy: 2e-3)
                    if bias { assertClose(conv.bias!.gradient, naive.bias, "db \(label)", accuracy: 1e-3) }
                    conv.backwardParameters(g)
                    assertClose(conv.weight.gradient, naive.weight, "dW, parameters only \(label)", accuracy: 2e-3)
                }
            }
        }
    }

    func testFusedReLUAndPoolEqualTheDirectPath() throws {
        try XCTSkipUnless(DirectConvolution.available, "no AVX-512F here (or LEPTON_CONV_KERNELS=gemm)")
        var rng = SeededGenerator(seed: 52)
        for (index, s) in shapes.enumerated() where s.h >= 2 && s.w >= 2 {
            let conv = winogradConv(s.c, s.o, bias: true, batched: index % 2 == 0, using: &rng)
            let twin = Conv2D(s.c, s.o, kernelSize: 3, padding: 1, using: &rng)
            twin.prefersWinogradKernels = false
            twin.weight.value = conv.weight.value
            twin.bias!.value = conv.bias!.value
            XCTAssertTrue(twin.usesDirectKernels)
            let x = Tensor.normal([s.n, s.c, s.h, s.w], using: &rng)
            let label = "c\(s.c) o\(s.o) \(s.h)×\(s.w)"
            assertClose(conv.forward(x, training: false, applyingReLU: true, pooling2x2: true),
                        twin.forward(x, training: false, applyingReLU: true, pooling2x2: true), "pooled \(label)")
            let y = conv.forward(x, training: true, applyingReLU: true)
            assertClose(y, twin.forward(x, training: true, applyingReLU: true), "ReLU \(label)")
            let pool = MaxPool2D(kernelSize: 2, stride: 2)
            let pooled = pool.forward(y, training: true)
            let g = Tensor.normal(pooled.shape, using: &rng)
            let dx = conv.backward(pooledGradient: g, poolArgmax: pool.argmax, throughReLUWithOutput: y, inputGradient: true)!
            let twinDx = twin.backward(pooledGradient: g, poolArgmax: pool.argmax, throughReLUWithOutput: y, inputGradient: true)!
            assertClose(dx, twinDx, "dx through pool \(label)")
            assertClose(conv.weight.gradient, twin.weight.gradient, "dW through pool \(label)", accuracy: 2e-3)
            assertClose(conv.bias!.gradient, twin.bias!.gradient, "db through pool \(label)", accuracy: 1e-3)
        }
    }

    /// Backward reuses the forward pass's transformed weights only for the same weights and tile
    /// size: new weights or another tile size in between are transformed again.
    func testBackwardTransformsChangedWeightsAgain() throws {
        try XCTSkipUnless(DirectConvolution.processorSupported, "no AVX-512F here: the GEMM path runs")
        var rng = SeededGenerator(seed: 58)
        let conv = winogradConv(16, 16, bias: false, tile: 4, using: &rng)
        let x = Tensor.normal([2, 16, 6, 6], using: &rng), g = Tensor.normal([2, 16, 6, 6], using: &rng)
        _ = conv.forward(x, training: true)
        conv.weight.value = Tensor.normal(conv.weight.value.shape, using: &rng)
        assertClose(conv.backward(g), conv.naiveBackward(input: x, outputGradient: g).input, "new weights")
        _ = conv.forward(x, training: true)
        conv.winogradOutputTile = 2
        assertClose(conv.backward(g), conv.naiveBackward(input: x, outputGradient: g).input, "another tile size")
    }

    /// The batched path's backward reuses the forward pass's V only when it is still there: a
    /// thread-count change in between (a larger scratch) and a tile-size change both transform again.
    func testBatchedBackwardAfterThreadOrTileChange() throws {
        try XCTSkipUnless(DirectConvolution.processorSupported, "no AVX-512F here: the GEMM path runs")
        var rng = SeededGenerator(seed: 59)
        let conv = winogradConv(16, 32, bias: true, tile: 4, batched: true, using: &rng)
        let x = Tensor.normal([3, 16, 5, 6], using: &rng), g = Tensor.normal([3, 32, 5, 6], using: &rng)
        let naive = conv.naiveBackward(input: x, outputGradient: g)
        Threading.setCount(1)
        _ = conv.forward(x, training: true)
        Threading.setCount(2)
        assertClose(conv.backward(g), naive.input, "dx, forward on 1 thread, backward on 2")
        assertClose(conv.weight.gradient, naive.weight, "dW, forward on 1 thread, backward on 2", accuracy: 2e-3)
        _ = conv.forward(x, training: true)
        conv.winogradOutputTile = 2
        assertClose(conv.backward(g), naive.input, "dx after a tile-size change")
        assertClose(conv.weight.gradient, naive.weight, "dW after a tile-size change", accuracy: 2e-3)
    }

    /// The same thread count gives the same bits (∂L/∂W is summed over fixed parts in order).
    func testBackwardIsReproducible() throws {
        try XCTSkipUnless(DirectConvolution.processorSupported, "no AVX-512F here: the GEMM path runs")
        var rng = SeededGenerator(seed: 53)
        for batched in [false, true] {
            let conv = winogradConv(32, 32, bias: true, batched: batched, using: &rng)
            let x = Tensor.normal([9, 32, 7, 7], using: &rng)
            let g = Tensor.normal([9, 32, 7, 7], using: &rng)
            _ = conv.forward(x, training: true)
            let dx = conv.backward(g), dw = conv.weight.gradient, db = conv.bias!.gradient
            _ = conv.forward(x, training: true)
            XCTAssertEqual(conv.backward(g).scalars, dx.scalars)
            XCTAssertEqual(conv.weight.gradient.scalars, dw.scalars)
            guard batched else { continue }
            // The batched path's values do not depend on the thread count at all.
            Threading.setCount(1)
            defer { Threading.setCount(2) }
            _ = conv.forward(x, training: true)
            XCTAssertEqual(conv.backward(g).scalars, dx.scalars)
            XCTAssertEqual(conv.weight.gradient.scalars, dw.scalars)
            XCTAssertEqual(conv.bias!.gradient.scalars, db.scalars)
        }
    }

    // MARK: The transforms against their scalar twins, bit for bit

    func testTileTransformsEqualTheScalarTwins() throws {
        try XCTSkipUnless(DirectConvolution.processorSupported, "no AVX-512F here: the GEMM path runs")
        var rng = SeededGenerator(seed: 54)
        for (h, w, channels) in [(7, 7, 32), (4, 4, 16), (1, 5, 16), (6, 3, 48)] {
            let g = Conv2D.WinogradGeometry(c: channels, o: channels, h: h, w: w)
            let kStride = g.tiles * channels + 16 // a gap between the 16 matrices, as in a chunk
            let label = "\(h)×\(w)×\(channels)"
            // Padded input: zero border, as the layer keeps it.
            var padded = [Float](repeating: 0, count: g.paddedCount)
            for y in 0..<h { for x in 0..<w { for c in 0..<channels {
                padded[((y + 1) * g.paddedW + x + 1) * channels + c] = rng.nextUniform() - 0.5
            } } }
            var vector = [Float](repeating: .nan, count: 16 * kStride), scalar = vector
            lepton_winograd_input_transform(padded, Int32(g.paddedW), Int32(channels), Int32(g.tilesH), Int32(g.tilesW),
                                            &vector, kStride)
            Conv2D.naiveWinogradInputTransform(padded, paddedW: g.paddedW, channels: channels, tilesH: g.tilesH,
                                               tilesW: g.tilesW, kStride: kStride, into: &scalar)
            assertBitEqual(vector, scalar, "input transform \(label)")

            let m = (0..<(16 * kStride)).map { _ in rng.nextUniform() - 0.5 }
            var out = [Float](repeating: 0, count: h * w * channels), naiveOut = out
            lepton_winograd_output_transform(m, kStride, Int32(channels), Int32(g.tilesH), Int32(g.tilesW), Int32(h), Int32(w), &out)
            Conv2D.naiveWinogradOutputTransform(m, kStride: kStride, channels: channels, tilesH: g.tilesH, tilesW: g.tilesW,
                                                h: h, w: w, into: &naiveOut)
            assertBitEqual(out, naiveOut, "output transform \(label)")

            let gradient = (0..<(h * w * channels)).map { _ in rng.nextUniform() - 0.5 }
            var dm = [Float](repeating: .nan, count: 16 * kStride), naiveDm = dm
            lepton_winograd_gradient_transform(gradient, Int32(channels), Int32(g.tilesH), Int32(g.tilesW), Int32(h), Int32(w),
                                               &dm, kStride)
            Conv2D.naiveWinogradGradientTransform(gradient, channels: channels, tilesH: g.tilesH, tilesW: g.tilesW, h: h, w: w,
                                                  kStride: kStride, into: &naiveDm)
            assertBitEqual(dm, naiveDm, "gradient transform \(label)")

            var dx = [Float](repeating: 0, count: g.paddedCount), naiveDx = dx
            lepton_winograd_input_gradient_transform(m, kStride, Int32(channels), Int32(g.tilesH), Int32(g.tilesW),
                                                     &dx, Int32(g.paddedW))
            Conv2D.naiveWinogradInputGradientTransform(m, kStride: kStride, channels: channels, tilesH: g.tilesH,
                                                       tilesW: g.tilesW, paddedW: g.paddedW, into: &naiveDx)
            assertBitEqual(dx, naiveDx, "input-gradient transform \(label)")
        }
    }

    func testWeightTransformsEqualTheScalarTwins() throws {
        try XCTSkipUnless(DirectConvolution.processorSupported, "no AVX-512F here: the GEMM path runs")
        var rng = SeededGenerator(seed: 55)
        for (c, o) in [(16, 16), (3, 32), (64, 48)] {
            let conv = Conv2D(c, o, kernelSize: 3, padding: 1, using: &rng)
            var u: [Float] = []
            conv.winogradTransformedWeights(m: 2, into: &u)
            assertBitEqual(Array(u.prefix(16 * c * o)), conv.naiveWinogradTransformedWeights(), "U \(c)→\(o)")
            let du = (0..<(16 * c * o)).map { _ in rng.nextUniform() - 0.5 }
            let dw = du.withUnsafeBufferPointer { conv.winogradWeightGradient($0.baseAddress!, m: 2) }
            assertBitEqual(dw.scalars, conv.naiveWinogradWeightGradient(du), "∂L/∂W \(c)→\(o)")
        }
    }

    // MARK: Both tile sizes against the matrix-product references

    private func assertClose(_ a: [Float], _ b: [Float], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        let scale = max(1, b.map { abs($0) }.max() ?? 0)
        if let i = a.indices.first(where: { i in i < b.count && !(abs(a[i] - b[i]) <= 2e-6 * scale) }) {
            XCTFail("\(message): first difference at \(i): \(a[i]) vs \(b[i]) (scale \(scale))", file: file, line: line)
        }
    }

    func testTransformsEqualTheMatrixReferences() throws {
        try XCTSkipUnless(DirectConvolution.processorSupported, "no AVX-512F here: the GEMM path runs")
        var rng = SeededGenerator(seed: 56)
        for m in [2, 4] {
            for (h, w, channels) in [(7, 7, 32), (4, 4, 16), (1, 5, 16), (6, 9, 16), (14, 14, 16)] {
                let g = Conv2D.WinogradGeometry(c: channels, o: channels, h: h, w: w, m: m)
                let kStride = g.tiles * channels + 16
                let label = "F(\(m)×\(m), 3×3) \(h)×\(w)×\(channels)"
                var padded = [Float](repeating: 0, count: g.paddedCount)
                for y in 0..<h { for x in 0..<w { for c in 0..<channels {
                    padded[((y + 1) * g.paddedW + x + 1) * channels + c] = rng.nextUniform() - 0.5
                } } }
                var v = [Float](repeating: 0, count: g.positions * kStride)
                padded.withUnsafeBufferPointer { g.inputTransform($0.baseAddress!, channels: channels, into: &v, kStride: kStride) }
                assertClose(v, WinogradReference.inputTransform(g, padded, kStride: kStride), "input transform \(label)")

                let mt = (0..<(g.positions * kStride)).map { _ in rng.nextUniform() - 0.5 }
                var out = [Float](repeating: 0, count: h * w * channels)
                mt.withUnsafeBufferPointer { g.outputTransform($0.baseAddress!, kStride: kStride, channels: channels, into: &out) }
                assertClose(out, WinogradReference.outputTransform(g, mt, kStride: kStride), "output transform \(label)")

                let gradient = (0..<(h * w * channels)).map { _ in rng.nextUniform() - 0.5 }
                var dm = [Float](repeating: 0, count: g.positions * kStride)
                gradient.withUnsafeBufferPointer { g.gradientTransform($0.baseAddress!, channels: channels, into: &dm, kStride: kStride) }
                assertClose(dm, WinogradReference.gradientTransform(g, gradient, kStride: kStride), "gradient transform \(label)")

                var dx = [Float](repeating: 0, count: g.paddedCount)
                mt.withUnsafeBufferPointer { g.inputGradientTransform($0.baseAddress!, kStride: kStride, channels: channels, into: &dx) }
                assertClose(dx, WinogradReference.inputGradientTransform(g, mt, kStride: kStride), "input-gradient transform \(label)")
            }
            for (c, o) in [(16, 16), (3, 32), (64, 48)] {
                let conv = Conv2D(c, o, kernelSize: 3, padding: 1, using: &rng)
                var u: [Float] = []
                conv.winogradTransformedWeights(m: m, into: &u)
                assertClose(Array(u.prefix((m + 2) * (m + 2) * c * o)),
                            WinogradReference.weightTransform(m: m, conv.weight.value.scalars, o: o, c: c), "U F(\(m)) \(c)→\(o)")
                let du = (0..<((m + 2) * (m + 2) * c * o)).map { _ in rng.nextUniform() - 0.5 }
                let dw = du.withUnsafeBufferPointer { conv.winogradWeightGradient($0.baseAddress!, m: m) }
                assertClose(dw.scalars, WinogradReference.weightGradientTransform(m: m, du, o: o, c: c), "∂L/∂W F(\(m)) \(c)→\(o)")
            }
        }
    }

    func testPaddingTransposesEqualTheScalarTwins() throws {
        try XCTSkipUnless(DirectConvolution.processorSupported, "no AVX-512F here: the GEMM path runs")
        var rng = SeededGenerator(seed: 57)
        for (h, w, channels, m) in [(28, 28, 64, 4), (7, 7, 256, 4), (4, 4, 48, 2), (1, 3, 17, 2), (5, 9, 33, 4)] {
            let g = Conv2D.WinogradGeometry(c: channels, o: channels, h: h, w: w, m: m)
            let x = (0..<(channels * h * w)).map { _ in rng.nextUniform() - 0.5 }
            var padded = [Float](repeating: .nan, count: g.paddedCount), naive = padded
            var back = [Float](repeating: .nan, count: x.count), naiveBack = back
            x.withUnsafeBufferPointer { xp in
                Conv2D.winogradPad(xp.baseAddress!, g, into: &padded)
                Conv2D.naiveWinogradPad(xp.baseAddress!, g, into: &naive)
            }
            assertBitEqual(padded, naive, "pad \(h)×\(w)×\(channels)") // the border stays as it was (NaN)
            padded.withUnsafeBufferPointer { Conv2D.winogradUnpad($0.baseAddress!, g, into: &back) }
            naive.withUnsafeBufferPointer { Conv2D.naiveWinogradUnpad($0.baseAddress!, g, into: &naiveBack) }
            assertBitEqual(back, naiveBack, "unpad \(h)×\(w)×\(channels)")
            assertBitEqual(back, x, "round trip \(h)×\(w)×\(channels)")
        }
    }
}
