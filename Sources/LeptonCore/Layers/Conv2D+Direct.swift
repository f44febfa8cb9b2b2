import CLeptonKernels
import Dispatch
import Foundation
import Synchronization

/// The direct path of ``Conv2D`` for 3×3 kernels with stride 1 and padding 1 (every convolution
/// of cnn-small, ResNet-18's 1-channel stem), on processors with AVX-512F, for layers of at most
/// ``DirectConvolution/weightLimit`` weights that do not take the Winograd path
/// (Conv2D+Winograd.swift: 64 channels and more).
///
/// Instead of unfolding the input nine times (im2col) and handing the copy to BLAS, which packs it
/// once more, the kernels in CLeptonKernels read the zero-padded input planes directly:
///
/// - Forward: `T[p][o] = Σ_{c,t} Wf[c][t][o] · Xp[c][p + off(t)]`, pixel-major, with
///   `Wf[c][3u + v][o] = W[o, c, u, v]`, then transposed into y (N, O, H, W) with the bias and the
///   fused ReLU; a fused 2×2 max-pool (inference and training, with the arg-max in training) or
///   global average pool (inference) is taken on the pixel-major tile, a vector of channels at a time.
/// - ∂L/∂W: `dW[o, c, u, v] = Σ_{n,p} G[n, p][o] · Xp[n, c][p + off(u, v)]`, from ∂L/∂y transposed
///   to pixel-major.
/// - ∂L/∂x: the same forward kernel on the zero-padded ∂L/∂y planes with the kernels flipped and
///   the channel roles swapped, `Wb[o][3u' + v'][c] = W[o, c, 2 − u', 2 − v']`.
///
/// where `off(u, v) = u·(W + 2) + v` is the tap's offset in a padded plane. Channels are padded to
/// multiples of 16 (one AVX-512 vector) with zero weights, so any channel count works. Samples are
/// split over ``Threading/count`` threads; each thread's part of ∂L/∂W is summed in part order, so
/// a given thread count always gives the same bits. The im2col + GEMM path and the naive twins
/// stay beside it; tests hold all three equal.
final class DirectConvolution {
    /// Whether this processor runs the kernels (AVX-512F) and `LEPTON_CONV_KERNELS` is not `gemm`
    /// (which selects the im2col + GEMM path for every convolution, for comparisons; the
    /// vectorised unpooling of ``GradientGather`` still runs).
    static let available: Bool = processorSupported
        && ProcessInfo.processInfo.environment["LEPTON_CONV_KERNELS"] != "gemm"
    /// Whether this processor has AVX-512F (also used, on both paths, for the vectorised
    /// unpooling of ``GradientGather``).
    static let processorSupported: Bool = lepton_conv3x3_direct_available() != 0

    /// The most weights (floats) a layer may have to take the direct path. The kernels handle one
    /// sample at a time and read all the weights for each, which pays while they stay in the
    /// core's L2 cache (1 MB here); larger layers go to OpenBLAS, which blocks for the cache. On
    /// ResNet-18 (layers of 64·64·9 … 512·512·9 weights), before the Winograd path, the direct
    /// path for all layers took 2.77–3.09 s per 256-image epoch, the GEMM path for all 2.82 s, and
    /// this split 2.60 s (it still decides with `LEPTON_CONV_KERNELS=direct`).
    static let weightLimit = 1 << 18

    /// Padded input planes, (N, C, plane) after a training forward pass (kept for ∂L/∂W), or one
    /// sample's planes per thread in inference.
    var paddedInput: [Float] = []
    /// The number of samples whose padded planes ``paddedInput`` holds from the latest training
    /// forward pass, or nil.
    var paddedHoldsInput: Int?
    /// Per-thread scratch: pixel-major tiles, gathered and padded gradients; on the Winograd
    /// paths also the chunk's (or, batched, the whole batch's) V and M, V first.
    var scratch: [Float] = []
    /// Packed weights (forward or backward layout), rebuilt on every call (cheap: O·C·9 floats),
    /// or the Winograd path's transformed weights U (Conv2D+Winograd.swift).
    var packedWeights: [Float] = []
    /// When ``packedWeights`` holds U from a Winograd training forward pass: its tile size and
    /// the weights it came from (the same storage, not a copy), so that backward reuses U only
    /// for those very weights and tile size (a changed weight tensor has new storage: copy on write).
    var packedWinogradWeights: (m: Int, weights: Tensor)?
    /// The Winograd backward pass's U_kᵀ (O × C per tile position), for ∂L/∂V = ∂L/∂M · Uᵀ.
    var transposedWinogradWeights: [Float] = []
    /// The Winograd backward pass's ∂L/∂U (per part on the chunked path), kept between batches:
    /// at 512 channels and F(4×4) it is 37 MB, above what malloc keeps, so a fresh one per batch
    /// would be mapped and zeroed by the kernel every time.
    var transformedGradient: [Float] = []
    /// When ``scratch`` begins with V of the whole batch from a batched Winograd training forward
    /// pass: its tile size and input (the same storage), so that backward skips that transform.
    var scratchHoldsTransformedInput: (m: Int, input: Tensor)?
    /// The pooled output of the latest fused Conv2D → ReLU → max-pool training pass: its backward
    /// pass reads the ReLU's mask from it (a window's maximum is its arg-max cell's output).
    var pooledOutput: Tensor?
}

extension Conv2D {
    /// The direct kernels' geometry: H × W planes padded to (H + 2) × (W + 2), channel counts
    /// rounded up to a multiple of 16.
    struct DirectGeometry {
        let c, o, h, w: Int
        var row: Int { w + 2 }
        var plane: Int { (h + 2) * (w + 2) }
        var p: Int { h * w }
        var c16: Int { (c + 15) / 16 * 16 }
        var o16: Int { (o + 15) / 16 * 16 }
    }

    /// Which convolution kernels this process runs, for benchmark reports (``ConvolutionKernels``):
    /// `winograd+direct-avx512+gemm` (3×3 stride-1 layers of up to ``DirectConvolution/weightLimit``
    /// weights on the direct kernels, larger ones with channel counts divisible by 16 on Winograd
    /// F(2×2, 3×3) or F(4×4, 3×3), the rest im2col + GEMM), `winograd+gemm`, `direct-avx512+gemm` or
    /// `gemm`. Channels-last layers (ResNet-18's) never take the direct kernels: Winograd or GEMM.
    public static var kernels: String {
        guard DirectConvolution.available else { return "gemm" }
        switch ConvolutionKernels.selected {
        case .auto: return "winograd+direct-avx512+gemm"
        case .winograd: return "winograd+gemm"
        case .direct, .gemm: return "direct-avx512+gemm"
        }
    }

    /// Whether the direct kernels take this layer's passes (channels first, 3×3, stride 1, padding 1,
    /// at most ``DirectConvolution/weightLimit`` weights, a processor with AVX-512F).
    var usesDirectKernels: Bool {
        layout == .channelsFirst && prefersDirectKernels && DirectConvolution.available
            && kernelHeight == 3 && kernelWidth == 3 && stride == 1 && padding == 1
            && inChannels * outChannels * 9 <= DirectConvolution.weightLimit && !usesWinogradKernels
    }

    /// Copies one sample's (C, H, W) planes into zero-padded (C, plane) planes, writing every
    /// element of the destination (the border too), so stale contents never leak in.
    static func pad(_ x: UnsafePointer<Float>, channels: Int, _ d: DirectGeometry, into dst: UnsafeMutablePointer<Float>) {
        lepton_pad_planes(x, Int32(channels), Int32(d.h), Int32(d.w), dst, d.plane)
    }

    /// ``pad(_:channels:_:into:)`` in plain loops: the twin `lepton_pad_planes` is tested against.
    static func naivePad(_ x: UnsafePointer<Float>, channels: Int, _ d: DirectGeometry, into dst: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            let src = x + c * d.p, plane = dst + c * d.plane
            plane.update(repeating: 0, count: d.row)
            for iy in 0..<d.h {
                let row = plane + (iy + 1) * d.row
                row[0] = 0
                (row + 1).update(from: src + iy * d.w, count: d.w)
                row[d.w + 1] = 0
            }
            (plane + (d.h + 1) * d.row).update(repeating: 0, count: d.row)
        }
    }

    /// `packed[c][3u + v][o] = W[o, c, u, v]` (forward) or, flipped for ∂L/∂x,
    /// `packed[o][8 − (3u + v)][c] = W[o, c, u, v]`; padded channels get zero weights.
    func packWeights(_ d: DirectGeometry, forBackward: Bool, into packed: inout [Float]) {
        let count = forBackward ? d.o * 9 * d.c16 : d.c * 9 * d.o16
        direct.packedWinogradWeights = nil
        packed = Conv2D.take(&packed, count)
        packed.withUnsafeMutableBufferPointer { pk in
            pk.baseAddress!.update(repeating: 0, count: count)
            weight.value.withUnsafeBufferPointer { wp in
                for oc in 0..<d.o {
                    for ic in 0..<d.c {
                        for t in 0..<9 {
                            let value = wp[(oc * d.c + ic) * 9 + t]
                            if forBackward {
                                pk[(oc * 9 + 8 - t) * d.c16 + ic] = value
                            } else {
                                pk[(ic * 9 + t) * d.o16 + oc] = value
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: Forward

    func directForward(_ input: Tensor, training: Bool, applyingReLU: Bool, pooling2x2: Bool) -> Tensor {
        directForward(input, training: training, applyingReLU: applyingReLU, pooling2x2: pooling2x2, recordingArgmax: false).output
    }

    /// Inference of Conv2D → ReLU → global average pool in one pass (direct kernels only):
    /// `y[n, o] = mean_p max(0, (W ∗ x)[n, o, p] + b[o])`, (N, O), taken on the pixel-major tile
    /// (summed in pixel order, as ``GlobalAvgPool`` does) without the full-size activation.
    func forwardGlobalAverage(_ input: Tensor) -> Tensor {
        precondition(usesDirectKernels, "\(summary): the fused global average needs the direct kernels")
        beginDirectPass(input)
        return directForward(input, training: false, applyingReLU: true, pooling2x2: false, recordingArgmax: false,
                             globalAverage: true).output
    }

    /// Training forward of Conv2D → ReLU → 2×2 / stride-2 max-pool in one pass (direct kernels
    /// only): the pooled output and each window's arg-max offset, exactly as ReLU then
    /// ``MaxPool2D`` would record them, without the full-size activation. The backward pass is
    /// ``backward(pooledGradient:poolArgmax:pooledOutput:inputGradient:)``.
    func forwardTrainingPooled(_ input: Tensor) -> (output: Tensor, argmax: [Int32]) {
        precondition(usesDirectKernels, "\(summary): the fused training pool needs the direct kernels")
        beginDirectPass(input)
        let (output, argmax) = directForward(input, training: true, applyingReLU: true, pooling2x2: true, recordingArgmax: true)
        direct.pooledOutput = output
        return (output, argmax!)
    }

    private func directForward(_ input: Tensor, training: Bool, applyingReLU: Bool, pooling2x2: Bool,
                               recordingArgmax: Bool, globalAverage: Bool = false) -> (output: Tensor, argmax: [Int32]?) {
        let s = input.shape
        let d = DirectGeometry(c: s[1], o: outChannels, h: s[2], w: s[3])
        let n = s[0], o = outChannels
        let (pooledH, pooledW) = (d.h / 2, d.w / 2)
        let outputPlane = globalAverage ? 1 : pooling2x2 ? pooledH * pooledW : d.p
        let parts = max(1, min(Threading.count, n))
        let state = direct
        state.pooledOutput = nil
        packWeights(d, forBackward: false, into: &state.packedWeights)
        // Training keeps every sample's padded planes for ∂L/∂W; inference needs one per thread.
        var padded = Conv2D.take(&state.paddedInput, (training ? n : parts) * d.c * d.plane)
        // Per part: the pixel-major tile, and the pooled tile (with its arg-max tile when recording).
        let pooledTileCount = pooling2x2 || globalAverage ? outputPlane * d.o16 : 0
        let tileCount = d.p * d.o16 + pooledTileCount * (recordingArgmax ? 2 : 1)
        var scratch = Conv2D.take(&state.scratch, parts * tileCount)
        let packed = state.packedWeights
        let biasValues = bias?.value.scalars
        // The fused training pool adds the bias per channel vector: padded to o16 channels.
        let biasPerVector = recordingArgmax || globalAverage
        var paddedBias = [Float](repeating: 0, count: biasPerVector ? d.o16 : 0)
        if biasPerVector, let biasValues { for oc in 0..<o { paddedBias[oc] = biasValues[oc] } }
        var argmax = [Int32](repeating: 0, count: recordingArgmax ? n * o * outputPlane : 0)
        let outputShape = globalAverage ? [n, o] : pooling2x2 ? [n, o, pooledH, pooledW] : [n, o, d.h, d.w]
        let y = Tensor(shape: outputShape) { yp in
            input.withUnsafeBufferPointer { xp in
                packed.withUnsafeBufferPointer { wp in
                    padded.withUnsafeMutableBufferPointer { pp in
                        scratch.withUnsafeMutableBufferPointer { sp in
                            (biasValues ?? []).withUnsafeBufferPointer { bp in
                              paddedBias.withUnsafeBufferPointer { pbp in
                                argmax.withUnsafeMutableBufferPointer { ap in
                                // Safe: each part reads shared inputs and writes only its own samples
                                // of y and argmax and its own regions of the padded planes and scratch.
                                // (An empty array may still have a base address: no bias must be nil.)
                                let box = UncheckedSendableBox((xp.baseAddress!, wp.baseAddress!, pp.baseAddress!,
                                                                sp.baseAddress!, yp.baseAddress!,
                                                                biasValues == nil ? nil : bp.baseAddress,
                                                                pbp.baseAddress, ap.baseAddress))
                                Conv2D.forEachSampleChunk(n, threads: parts) { part, samples in
                                    let (x, w, paddedBase, scratchBase, y, bias, paddedBias, argmax) = box.value
                                    let tile = scratchBase + part * tileCount, pooledTile = tile + d.p * d.o16
                                    let argmaxTile = UnsafeMutableRawPointer(pooledTile + pooledTileCount)
                                        .assumingMemoryBound(to: Int32.self)
                                    for sample in samples {
                                        let planes = paddedBase + (training ? sample : part) * d.c * d.plane
                                        Conv2D.pad(x + sample * d.c * d.p, channels: d.c, d, into: planes)
                                        lepton_conv3x3_forward(planes, d.plane, d.row, Int32(d.c), Int32(d.h), Int32(d.w),
                                                               w, Int32(d.o16), tile)
                                        let out = y + sample * o * outputPlane
                                        if globalAverage {
                                            lepton_bias_relu_mean_pixel_major(tile, Int32(d.p), Int32(d.o16), paddedBias!, pooledTile)
                                            out.update(from: pooledTile, count: o)
                                        } else if recordingArgmax {
                                            lepton_bias_relu_pool2x2_argmax_pixel_major(tile, Int32(d.h), Int32(d.w), Int32(d.o16),
                                                                                        paddedBias!, pooledTile, argmaxTile)
                                            lepton_transpose(pooledTile, d.o16, Int32(outputPlane), Int32(o), out, outputPlane, nil, 0)
                                            // The offsets move as bit patterns: the transpose only loads,
                                            // shuffles and stores (no arithmetic without bias or ReLU).
                                            let argmaxOut = UnsafeMutableRawPointer(argmax! + sample * o * outputPlane)
                                            lepton_transpose(UnsafeRawPointer(argmaxTile).assumingMemoryBound(to: Float.self), d.o16,
                                                             Int32(outputPlane), Int32(o), argmaxOut.assumingMemoryBound(to: Float.self),
                                                             outputPlane, nil, 0)
                                        } else if pooling2x2 {
                                            lepton_pool2x2_pixel_major(tile, Int32(d.h), Int32(d.w), Int32(d.o16), pooledTile)
                                            lepton_transpose(pooledTile, d.o16, Int32(outputPlane), Int32(o), out, outputPlane,
                                                             bias, applyingReLU ? 1 : 0)
                                        } else {
                                            lepton_transpose(tile, d.o16, Int32(d.p), Int32(o), out, d.p, bias, applyingReLU ? 1 : 0)
                                        }
                                    }
                                }
                                }
                              }
                            }
                        }
                    }
                }
            }
        }
        state.paddedInput = padded
        state.scratch = scratch
        state.paddedHoldsInput = training ? n : nil
        return (y, recordingArgmax ? argmax : nil)
    }

    /// Runs `body(thread, samples)` over `0..<n` in chunks of a few samples that `threads`
    /// threads take in turn from a shared counter (a single thread runs everything inline), so a
    /// thread that starts late takes fewer chunks instead of holding the others up. For passes
    /// whose results do not depend on which thread computed a sample (the forward pass); the
    /// backward pass sums ∂L/∂W per thread and keeps a fixed split for reproducible bits.
    /// `chunk` samples at a time when given (then also on a single thread), else a few.
    static func forEachSampleChunk(_ n: Int, threads: Int, chunk chosenChunk: Int? = nil,
                                   _ body: (Int, Range<Int>) -> Void) {
        guard threads > 1 else {
            let step = max(1, chosenChunk ?? n)
            for start in Swift.stride(from: 0, to: n, by: step) { body(0, start..<min(n, start + step)) }
            return
        }
        let chunk = max(1, chosenChunk ?? n / (threads * 8))
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { escapable in
            // Safe: concurrentPerform returns after every thread finished; chunks are disjoint.
            let box = UncheckedSendableBox(escapable)
            withUnsafePointer(to: next) { counter in
                let counterBox = UncheckedSendableBox(counter)
                DispatchQueue.concurrentPerform(iterations: threads) { thread in
                    while true {
                        let start = counterBox.value.pointee.add(chunk, ordering: .relaxed).oldValue
                        guard start < n else { break }
                        box.value(thread, start..<min(n, start + chunk))
                    }
                }
            }
        }
    }

    /// Runs `body(part)` for parts `0..<parts`, one per thread (a single part inline).
    static func forEachSamplePart(_ parts: Int, _ body: (Int) -> Void) {
        guard parts > 1 else {
            body(0)
            return
        }
        parallelFor(parts) { r in for part in r { body(part) } }
    }

    // MARK: Backward

    /// ∂L/∂W, ∂L/∂b and (when `inputGradient`) ∂L/∂x with the direct kernels; the gradient of y
    /// is gathered per sample exactly as on the GEMM path (through a fused ReLU and max-pool).
    func directBackward(input x: Tensor, gradient gy: Tensor, inputGradient: Bool, reluOutput: Tensor?,
                        poolArgmax: [Int32]?, maskFromPooledOutput: Bool = false) -> Tensor? {
        let s = x.shape
        let d = DirectGeometry(c: s[1], o: outChannels, h: s[2], w: s[3])
        let n = s[0], o = outChannels
        let parts = max(1, min(Threading.count, n)), perPart = (n + parts - 1) / parts
        let state = direct
        let held = state.paddedHoldsInput == n
        // Per part: gathered G (O × P), pixel-major Gᵀ (P × O16), padded G (O × plane), the ∂L/∂x
        // tile (P × C16) and, when the forward planes were not kept, this sample's padded input.
        let gatheredCount = o * d.p, transposedCount = d.p * d.o16
        let paddedGradientCount = inputGradient ? o * d.plane : 0, dxTileCount = inputGradient ? d.p * d.c16 : 0
        let ownPlanes = held ? 0 : d.c * d.plane
        let perPartCount = gatheredCount + transposedCount + paddedGradientCount + dxTileCount + ownPlanes
        var scratch = Conv2D.take(&state.scratch, parts * perPartCount)
        var padded: [Float] = [0]
        if held { swap(&padded, &state.paddedInput) } // (taken out: a second reference would copy it)
        if inputGradient { packWeights(d, forBackward: true, into: &state.packedWeights) }
        let packed = inputGradient ? state.packedWeights : [0]
        let weightCount = d.c * 9 * d.o16
        var partialWeight = [Float](repeating: 0, count: parts * weightCount)
        var partialBias = [Float](repeating: 0, count: parts * o)
        var dx = inputGradient ? Tensor(shape: s) : Tensor(shape: [1])
        let mask = reluOutput ?? Tensor(shape: [1])
        let argmax = poolArgmax ?? [0]
        let hasBias = bias != nil // (no bias: no ∂L/∂b sums to take)
        let gather = GradientGather(pooled: poolArgmax != nil, masked: reluOutput != nil, o: o,
                                    h: d.h, w: d.w, maskFromPooledOutput: maskFromPooledOutput)
        x.withUnsafeBufferPointer { xp in
            gy.withUnsafeBufferPointer { gp in
                mask.withUnsafeBufferPointer { mp in
                    argmax.withUnsafeBufferPointer { ap in
                        packed.withUnsafeBufferPointer { wp in
                            padded.withUnsafeMutableBufferPointer { pp in
                                scratch.withUnsafeMutableBufferPointer { sp in
                                    dx.withUnsafeMutableBufferPointer { dxp in
                                        partialWeight.withUnsafeMutableBufferPointer { pwp in
                                            partialBias.withUnsafeMutableBufferPointer { pbp in
                                                // Safe: each part reads shared inputs and writes only its
                                                // own samples of dx and its own scratch and partial sums.
                                                let box = UncheckedSendableBox((
                                                    xp.baseAddress!, gp.baseAddress!, mp.baseAddress!, ap.baseAddress!,
                                                    wp.baseAddress!, pp.baseAddress!, sp.baseAddress!, dxp.baseAddress!,
                                                    pwp.baseAddress!, pbp.baseAddress!))
                                                let body = { (part: Int) in
                                                    let (x, gy, relu, arg, w, paddedBase, scratchBase, dx, pw, pb) = box.value
                                                    let gathered = scratchBase + part * perPartCount
                                                    let transposed = gathered + gatheredCount
                                                    let paddedGradient = transposed + transposedCount
                                                    let dxTile = paddedGradient + paddedGradientCount
                                                    let ownPlanes = dxTile + dxTileCount
                                                    let dw = pw + part * weightCount, db = pb + part * o
                                                    if o < d.o16 {
                                                        // The transpose writes columns 0..<o only: the padding
                                                        // columns must be zeros, not an older pass's floats.
                                                        transposed.update(repeating: 0, count: transposedCount)
                                                    }
                                                    for sample in min(n, part * perPart)..<min(n, (part + 1) * perPart) {
                                                        let planes: UnsafeMutablePointer<Float>
                                                        if held {
                                                            planes = paddedBase + sample * d.c * d.plane
                                                        } else {
                                                            planes = ownPlanes
                                                            Conv2D.pad(x + sample * d.c * d.p, channels: d.c, d, into: planes)
                                                        }
                                                        let g = gather.sample(sample, gradient: gy, reluOutput: relu, argmax: arg,
                                                                              scratch: gathered)
                                                        if hasBias { for oc in 0..<o { db[oc] += Conv2D.sum(g + oc * d.p, count: d.p) } }
                                                        lepton_transpose(g, d.p, Int32(o), Int32(d.p), transposed, d.o16, nil, 0)
                                                        lepton_conv3x3_weight_gradient(planes, d.plane, d.row, Int32(d.c), Int32(d.h),
                                                                                       Int32(d.w), transposed, Int32(d.o16), dw)
                                                        if inputGradient {
                                                            Conv2D.pad(g, channels: o, d, into: paddedGradient)
                                                            lepton_conv3x3_forward(paddedGradient, d.plane, d.row, Int32(o), Int32(d.h),
                                                                                   Int32(d.w), w, Int32(d.c16), dxTile)
                                                            lepton_transpose(dxTile, d.c16, Int32(d.p), Int32(d.c),
                                                                             dx + sample * d.c * d.p, d.p, nil, 0)
                                                        }
                                                    }
                                                }
                                                Conv2D.forEachSamplePart(parts, body)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        state.scratch = scratch
        if held { state.paddedInput = padded }
        // ∂L/∂W[o, c, t] = Σ_parts partial[c][t][o], in part order.
        var dw = Tensor(shape: weight.value.shape), db = [Float](repeating: 0, count: o)
        dw.withUnsafeMutableBufferPointer { dwp in
            for part in 0..<parts {
                let base = part * weightCount
                for oc in 0..<o {
                    for ic in 0..<d.c {
                        for t in 0..<9 { dwp[(oc * d.c + ic) * 9 + t] += partialWeight[base + (ic * 9 + t) * d.o16 + oc] }
                    }
                }
            }
        }
        for part in 0..<parts {
            for oc in 0..<o { db[oc] += partialBias[part * o + oc] }
        }
        weight.gradient = dw
        bias?.gradient = Tensor(db)
        return inputGradient ? dx : nil
    }
}

/// How ∂L/∂y of one sample becomes the (O, Ho·Wo) gradient G the convolution's backward pass
/// uses: as it is, through the mask `1[y > 0]` of a fused ReLU, or also back through a fused
/// 2×2 max-pool (to each window's arg-max cell, zero elsewhere). Shared by both paths of
/// ``Conv2D``.
struct GradientGather {
    let pooled, masked: Bool
    let o, h, w: Int
    /// With `pooled`: the ReLU output given is the pooled one (a fused training pool), one value
    /// per window, rather than the full-size activation.
    var maskFromPooledOutput = false
    var p: Int { h * w }
    var pooledPlane: Int { (h / 2) * (w / 2) }

    /// Writes G for channel `oc` of `sample` to `dst` (Ho·Wo floats).
    @inline(__always)
    func plane(_ sample: Int, _ oc: Int, gradient gy: UnsafePointer<Float>, reluOutput relu: UnsafePointer<Float>,
               argmax: UnsafePointer<Int32>, into dst: UnsafeMutablePointer<Float>) {
        let offset = (sample * o + oc) * p
        if pooled {
            let pooledOffset = (sample * o + oc) * pooledPlane
            let (g, a) = (gy + pooledOffset, argmax + pooledOffset)
            switch (maskFromPooledOutput, DirectConvolution.processorSupported) {
            case (true, true): lepton_unpool2x2_pooled_mask(g, a, relu + pooledOffset, Int32(h), Int32(w), dst)
            case (true, false): Conv2D.unpool2x2(g, argmax: a, pooledOutput: relu + pooledOffset, width: w, height: h, into: dst)
            case (false, true): lepton_unpool2x2_relu(g, a, relu + offset, Int32(h), Int32(w), dst)
            case (false, false): Conv2D.unpool2x2(g, argmax: a, reluOutput: relu + offset, width: w, height: h, into: dst)
            }
        } else if masked {
            let src = gy + offset, y = relu + offset
            for q in 0..<p {
                let gv = src[q], yv = y[q]
                dst[q] = yv > 0 ? gv : 0
            }
        } else {
            dst.update(from: gy + offset, count: p)
        }
    }

    /// G of one whole sample (O × P): ∂L/∂y itself when there is nothing to gather, else written
    /// to `scratch`.
    @inline(__always)
    func sample(_ sample: Int, gradient gy: UnsafePointer<Float>, reluOutput relu: UnsafePointer<Float>,
                argmax: UnsafePointer<Int32>, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        guard pooled || masked else { return gy + sample * o * p }
        for oc in 0..<o { plane(sample, oc, gradient: gy, reluOutput: relu, argmax: argmax, into: scratch + oc * p) }
        return UnsafePointer(scratch)
    }
}
