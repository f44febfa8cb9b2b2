import CLeptonKernels
import Foundation

/// The Winograd path of ``Conv2D``: F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional
/// Neural Networks", 2016) for 3×3 kernels with stride 1 and padding 1 whose channel counts are
/// multiples of 16, on processors with AVX-512F. Each 2×2 block of outputs t comes from the 4×4
/// input tile d_t around it:
///
///     Y_t = Aᵀ [ Σ_c U[c] ⊙ V_t[c] ] A,   U = G g Gᵀ (per weight kernel g),   V_t = Bᵀ d_t B
///
/// so 16 products per channel pair and tile instead of 36 for the four outputs: 2.25× fewer
/// multiplications. The sum over channels is 16 matrix products, one per tile position k,
/// `M_k (T × O) = V_k (T × C) · U_k (C × O)`, on CLeptonKernels' small-matrix kernels
/// (``WinogradGeometry/product(_:_:rows:into:)``; BLAS for the larger backward products). Backward, with
/// `dM_t = A (∂L/∂Y_t) Aᵀ`:
///
/// - ∂L/∂W: `dU_k += V_kᵀ · dM_k` summed over every tile, then `∂L/∂g = Gᵀ dU G`;
/// - ∂L/∂x: `dV_k = dM_k · U_kᵀ`, then `B dV_t Bᵀ` added into the overlapping input tiles.
///
/// F(4×4, 3×3) works the same way on 6 × 6 tiles with 36 products for 16 outputs (4× fewer
/// multiplications than direct); ``ConvolutionKernels/winogradOutputTile(inChannels:outChannels:height:width:)``
/// picks the tile size per layer. The F(2×2) transforms only add and subtract, the F(4×4) ones
/// multiply by small constants; the results equal the direct convolution up to rounding (tests
/// hold them to the naive twins, and the transforms to scalar and double-precision references).
///
/// Samples go through in chunks of enough tiles for the products to run near their peak
/// (``winogradTargetTiles``); the backward pass splits the batch into fixed parts, one per thread,
/// and sums their ∂L/∂W in part order, so a given thread count always gives the same bits. V is
/// recomputed from the input in backward rather than kept (it is 2.25–4× the input's size),
/// except on the batched path (Conv2D+WinogradBatched.swift), whose scratch holds it anyway.
extension Conv2D {
    /// The most tiles per product the chunks take by default (``winogradTargetTiles``; at least
    /// one sample): the (m + 2)² products of (T × C)·(C × O) run near their peak from a few
    /// hundred rows on, while the chunk's V and M stay in the cache at 64 and 128 channels (the
    /// layers that take this path in ResNet-18; the larger ones are batched). 128 and 256
    /// measured alike on ResNet-18's shapes, 512 up to 10% slower (`lepton-bench conv-layers`);
    /// `LEPTON_WINOGRAD_TILES=N` sets it, for such comparisons.
    static let defaultWinogradTargetTiles: Int = {
        let value = Int(ProcessInfo.processInfo.environment["LEPTON_WINOGRAD_TILES"] ?? "") ?? 256
        return max(1, value)
    }()

    /// The tiling of an h × w image with c input and o output channels into tiles of m × m
    /// outputs: F(2×2, 3×3) (m = 2, 4 × 4 input tiles, 16 products) or F(4×4, 3×3) (m = 4,
    /// 6 × 6 input tiles, 36 products).
    struct WinogradGeometry {
        let c, o, h, w: Int
        /// Whether x, y and their gradients are channels last (pixel-major already: no transposes).
        var channelsLast = false
        /// Whether the products run on the own small-matrix kernels (else BLAS): ``Conv2D/winogradOwnKernels``.
        var ownProducts = true
        var m = 2 {
            didSet { precondition(m == 2 || m == 4, "Winograd: F(\(m)×\(m), 3×3) is not implemented (2 or 4)") }
        }
        /// The input tile's side, m + 2, and the number of transformed matrices, (m + 2)².
        var alpha: Int { m + 2 }
        var positions: Int { alpha * alpha }
        var tilesH: Int { (h + m - 1) / m }
        var tilesW: Int { (w + m - 1) / m }
        var tiles: Int { tilesH * tilesW }
        /// Pixels per row of the padded pixel-major input (a copy of a channels-first sample
        /// transposed, or of a channels-last one's rows): the image at columns 1…w, zeros
        /// around it and wherever a last tile runs past the image.
        var paddedW: Int { m * tilesW + 2 }
        var paddedCount: Int { (m * tilesH + 2) * paddedW * c }
        var p: Int { h * w }
        /// Samples per chunk of at most `targetTiles` tiles (at least one sample), for parts of
        /// `perPart` samples.
        func chunk(perPart: Int, targetTiles: Int) -> Int {
            max(1, min(perPart, targetTiles / tiles))
        }

        // The kernels of CLeptonKernels/winograd.c for this tile size.
        func inputTransform(_ src: UnsafePointer<Float>, channels: Int, into v: UnsafeMutablePointer<Float>, kStride: Int) {
            let f = m == 2 ? lepton_winograd_input_transform : lepton_winograd4_input_transform
            f(src, Int32(paddedW), Int32(channels), Int32(tilesH), Int32(tilesW), v, kStride)
        }
        func outputTransform(_ mt: UnsafePointer<Float>, kStride: Int, channels: Int, into dst: UnsafeMutablePointer<Float>) {
            let f = m == 2 ? lepton_winograd_output_transform : lepton_winograd4_output_transform
            f(mt, kStride, Int32(channels), Int32(tilesH), Int32(tilesW), Int32(h), Int32(w), dst)
        }
        func gradientTransform(_ gradient: UnsafePointer<Float>, channels: Int, into dm: UnsafeMutablePointer<Float>, kStride: Int) {
            let f = m == 2 ? lepton_winograd_gradient_transform : lepton_winograd4_gradient_transform
            f(gradient, Int32(channels), Int32(tilesH), Int32(tilesW), Int32(h), Int32(w), dm, kStride)
        }
        func inputGradientTransform(_ dv: UnsafePointer<Float>, kStride: Int, channels: Int, into dst: UnsafeMutablePointer<Float>) {
            let f = m == 2 ? lepton_winograd_input_gradient_transform : lepton_winograd4_input_gradient_transform
            f(dv, kStride, Int32(channels), Int32(tilesH), Int32(tilesW), dst, Int32(paddedW))
        }

        // MARK: The products, per tile position k (lepton_gemm_nn / _tn, or BLAS for comparisons)

        /// Whether the backward products run on the own kernels too: up to 128 × 128 channels.
        /// Above, BLAS was faster (`lepton-bench conv-layers`: 256 and 512 channels, 7–20% slower on
        /// the own kernels, which also need Uᵀ, 37 MB at 512 channels with F(4×4)).
        var ownBackwardProducts: Bool { ownProducts && c * o <= 128 * 128 }

        /// `M_k = V_k · U_k`: V_k (t × C), U_k (C × O), M_k (t × O).
        func product(_ v: UnsafePointer<Float>, _ u: UnsafePointer<Float>, rows t: Int, into m: UnsafeMutablePointer<Float>) {
            if ownProducts {
                lepton_gemm_nn(t, o, c, v, c, u, o, m, o, 0)
            } else {
                BLAS.gemm(.none, .none, m: t, n: o, k: c, a: v, b: u, c: m)
            }
        }

        /// `dU_k = V_kᵀ · dM_k`, or `+=` when `accumulate`: dU_k (C × O).
        func weightProduct(_ v: UnsafePointer<Float>, _ dm: UnsafePointer<Float>, rows t: Int,
                           into du: UnsafeMutablePointer<Float>, accumulate: Bool) {
            if ownBackwardProducts {
                lepton_gemm_tn(c, o, t, v, c, dm, o, du, o, accumulate ? 1 : 0)
            } else {
                BLAS.gemm(.transpose, .none, m: c, n: o, k: t, a: v, b: dm, beta: accumulate ? 1 : 0, c: du)
            }
        }

        /// `dV_k = dM_k · U_kᵀ` (t × C), from U_k or its transpose `uT` (O × C).
        func inputProduct(_ dm: UnsafePointer<Float>, u: UnsafePointer<Float>, uT: UnsafePointer<Float>, rows t: Int,
                          into dv: UnsafeMutablePointer<Float>) {
            if ownBackwardProducts {
                lepton_gemm_nn(t, c, o, dm, o, uT, c, dv, c, 0)
            } else {
                BLAS.gemm(.none, .transpose, m: t, n: c, k: o, a: dm, b: u, c: dv)
            }
        }

        /// One sample's V from its (C, H, W) planes (channels last: its H·W pixels): the padded
        /// pixel-major copy in `padded` (whose border is zero), then the input transform.
        func transformSample(_ x: UnsafePointer<Float>, padded: UnsafeMutablePointer<Float>, into v: UnsafeMutablePointer<Float>,
                             kStride: Int) {
            Conv2D.winogradPad(x, self, into: padded)
            inputTransform(padded, channels: c, into: v, kStride: kStride)
        }

        /// One sample's dM from its (O, H·W) gradient (channels last: (H·W, O), used as it is):
        /// transposed pixel-major into `pixelMajor`, then the gradient transform.
        func transformGradient(_ gradient: UnsafePointer<Float>, pixelMajor: UnsafeMutablePointer<Float>,
                               into dm: UnsafeMutablePointer<Float>, kStride: Int) {
            if channelsLast { return gradientTransform(gradient, channels: o, into: dm, kStride: kStride) }
            lepton_transpose(gradient, p, Int32(o), Int32(p), pixelMajor, o, nil, 0)
            gradientTransform(pixelMajor, channels: o, into: dm, kStride: kStride)
        }

        /// One sample's output from its pixel-major M rows: the output transform into `tile`,
        /// then transposed into the (O, H, W) planes at `out` with the bias and ReLU (either
        /// optional) — or, channels last, the transform straight into `out`.
        func writeOutput(_ m: UnsafePointer<Float>, kStride: Int, tile: UnsafeMutablePointer<Float>,
                         into out: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, relu: Bool) {
            if channelsLast {
                outputTransform(m, kStride: kStride, channels: o, into: out)
                if bias != nil || relu { Conv2D.biasReLU(out, rows: p, o: o, bias: bias, relu: relu) }
            } else {
                outputTransform(m, kStride: kStride, channels: o, into: tile)
                lepton_transpose(tile, o, Int32(p), Int32(o), out, p, bias, relu ? 1 : 0)
            }
        }

        /// Adds one sample's Σ ∂L/∂y per output channel into `db`, in a fixed order.
        func addBiasGradient(_ gs: UnsafePointer<Float>, into db: UnsafeMutablePointer<Float>) {
            if channelsLast { return Conv2D.addColumnSums(gs, rows: p, cols: o, into: db) }
            for oc in 0..<o { db[oc] += Conv2D.sum(gs + oc * p, count: p) }
        }
    }

    /// This layer's tiling of a (N, C, H, W) input.
    func winogradGeometry(_ s: [Int]) -> WinogradGeometry {
        let (h, w) = imageSize(s)
        let m = winogradOutputTile ?? ConvolutionKernels.winogradOutputTile(inChannels: inChannels, outChannels: outChannels,
                                                                            height: h, width: w)
        precondition(m == 2 || m == 4, "\(summary): Winograd F(\(m)×\(m), 3×3) is not implemented (2 or 4)")
        return WinogradGeometry(c: inChannels, o: outChannels, h: h, w: w, channelsLast: layout == .channelsLast,
                                ownProducts: winogradOwnKernels, m: m)
    }

    /// Whether the Winograd kernels take this layer's passes: 3×3, stride 1, padding 1, channel
    /// counts multiples of 16, AVX-512F, and ``ConvolutionKernels`` choosing them for this size.
    var usesWinogradKernels: Bool {
        prefersDirectKernels && DirectConvolution.processorSupported
            && kernelHeight == 3 && kernelWidth == 3 && stride == 1 && padding == 1
            && inChannels % 16 == 0 && outChannels % 16 == 0
            && (prefersWinogradKernels ?? ConvolutionKernels.selected.usesWinograd(inChannels: inChannels, outChannels: outChannels))
    }

    /// Whether the Winograd products run on CLeptonKernels' own small-matrix kernels (default) or
    /// through BLAS (`LEPTON_WINOGRAD_GEMM=blas`, for comparisons). The products are many small
    /// matrices (t × C times C × O, 36 or 16 of them per chunk), for which a BLAS call spends much
    /// of its time packing; the own kernels read them in place (small_gemm.c).
    static let defaultWinogradOwnKernels = ProcessInfo.processInfo.environment["LEPTON_WINOGRAD_GEMM"] != "blas"

    /// `U_kᵀ` (O × C) for every tile position, in the buffer taken from
    /// `direct.transposedWinogradWeights` (the caller hands it back), for the backward pass's ∂L/∂V
    /// on the own kernels; nothing to do for BLAS, which transposes itself.
    func winogradTransposedWeights(_ u: [Float], _ g: WinogradGeometry) -> [Float] {
        guard g.ownBackwardProducts else { return [0] }
        var uT = Conv2D.take(&direct.transposedWinogradWeights, g.positions * g.c * g.o)
        let block = g.c * g.o
        u.withUnsafeBufferPointer { up in
            uT.withUnsafeMutableBufferPointer { tp in
                // Safe: each position writes only its own block.
                let box = UncheckedSendableBox((up.baseAddress!, tp.baseAddress!))
                parallelFor(g.positions) { positions in
                    for k in positions {
                        lepton_transpose(box.value.0 + k * block, g.o, Int32(g.c), Int32(g.o), box.value.1 + k * block, g.c, nil, 0)
                    }
                }
            }
        }
        return uT
    }

    // MARK: Weight transforms

    /// `U[k][c][o] = (G g Gᵀ)[i][j]`, k = (m + 2)·i + j, for every kernel `g = W[o, c]`, 16 output
    /// channels at a time (twin: ``naiveWinogradTransformedWeights()``).
    func winogradTransformedWeights(m: Int, into u: inout [Float]) {
        u = Conv2D.take(&u, (m + 2) * (m + 2) * inChannels * outChannels)
        let f = m == 2 ? lepton_winograd_weight_transform : lepton_winograd4_weight_transform
        let (o, c) = (outChannels, inChannels)
        u.withUnsafeMutableBufferPointer { up in
            weight.value.withUnsafeBufferPointer { wp in
                // Safe: each block of 16 output channels writes only its own columns of U.
                let box = UncheckedSendableBox((wp.baseAddress!, up.baseAddress!))
                parallelFor(o / 16, minimumPerThread: 4) { blocks in
                    f(box.value.0, Int32(o), Int32(c), box.value.1, Int32(blocks.lowerBound * 16), Int32(blocks.upperBound * 16))
                }
            }
        }
    }

    /// `∂L/∂W[o, c] = Gᵀ dU[·][c][o] G` (the adjoint of the weight transform), from
    /// `du[k][c][o]`, k = (m + 2)·i + j (twin: ``naiveWinogradWeightGradient(_:)``).
    func winogradWeightGradient(_ du: UnsafePointer<Float>, m: Int) -> Tensor {
        let f = m == 2 ? lepton_winograd_weight_gradient_transform : lepton_winograd4_weight_gradient_transform
        let (o, c) = (outChannels, inChannels)
        return Tensor(shape: weight.value.shape) { dwp in
            // Safe: each block of 16 output channels writes only its own kernels.
            let box = UncheckedSendableBox((du, dwp.baseAddress!))
            parallelFor(o / 16, minimumPerThread: 4) { blocks in
                f(box.value.0, Int32(o), Int32(c), box.value.1, Int32(blocks.lowerBound * 16), Int32(blocks.upperBound * 16))
            }
        }
    }

    // MARK: Layout

    /// One sample's (C, H, W) planes — or, channels last, its (H, W, C) rows, copied — into the
    /// interior of a padded pixel-major buffer whose border is already zero (twin of the
    /// transposing copy: ``naiveWinogradPad(_:_:into:)``).
    static func winogradPad(_ x: UnsafePointer<Float>, _ g: WinogradGeometry, into dst: UnsafeMutablePointer<Float>) {
        guard g.channelsLast else { return lepton_pad_pixel_major(x, Int32(g.c), Int32(g.h), Int32(g.w), dst, Int32(g.paddedW)) }
        for row in 0..<g.h { // already pixel-major: one copy per image row
            (dst + ((row + 1) * g.paddedW + 1) * g.c).update(from: x + row * g.w * g.c, count: g.w * g.c)
        }
    }

    /// The interior of a padded pixel-major buffer back into (C, H, W) planes, or (H, W, C) rows
    /// channels last (twin of the transposing copy: ``naiveWinogradUnpad(_:_:into:)``).
    static func winogradUnpad(_ src: UnsafePointer<Float>, _ g: WinogradGeometry, into x: UnsafeMutablePointer<Float>) {
        guard g.channelsLast else { return lepton_unpad_pixel_major(src, Int32(g.c), Int32(g.h), Int32(g.w), Int32(g.paddedW), x) }
        for row in 0..<g.h {
            (x + row * g.w * g.c).update(from: src + ((row + 1) * g.paddedW + 1) * g.c, count: g.w * g.c)
        }
    }

    /// Runs `body` with single-threaded BLAS when `parts` threads share the work.
    static func withBLASPerThread(_ parts: Int, _ body: () -> Void) {
        guard parts > 1 else { return body() }
        let threads = Threading.count
        BLAS.setThreadCount(1)
        defer { BLAS.setThreadCount(threads) }
        body()
    }

    // MARK: Forward

    /// The forward pass on the Winograd kernels, with the following ReLU and (inference) 2×2
    /// max-pool optionally fused into the output transpose as on the direct path.
    func winogradForward(_ input: Tensor, training: Bool, applyingReLU: Bool, pooling2x2: Bool) -> Tensor {
        let s = input.shape
        let g = winogradGeometry(s)
        let n = s[0], o = outChannels
        let parts = max(1, min(Threading.count, n))
        let chunk = g.chunk(perPart: (n + parts - 1) / parts, targetTiles: winogradTargetTiles)
        let (pooledH, pooledW) = (g.h / 2, g.w / 2)
        let outputPlane = pooling2x2 ? pooledH * pooledW : g.p
        let state = direct
        state.pooledOutput = nil
        state.paddedHoldsInput = nil
        winogradTransformedWeights(m: g.m, into: &state.packedWeights)
        state.packedWinogradWeights = training ? (g.m, weight.value) : nil
        let u = state.packedWeights
        if winogradBatches(g, samples: n) {
            return winogradBatchedForward(input, g, u: u, training: training, applyingReLU: applyingReLU, pooling2x2: pooling2x2)
        }
        // Per thread: the padded sample, V and M of a chunk, the pixel-major output (and its pooled copy).
        let vCount = g.positions * chunk * g.tiles * g.c, mCount = g.positions * chunk * g.tiles * o
        let tileCount = g.p * o, pooledCount = pooling2x2 ? outputPlane * o : 0
        let perThread = g.paddedCount + vCount + mCount + tileCount + pooledCount
        var scratch = Conv2D.take(&state.scratch, parts * perThread)
        let biasValues = bias?.value.scalars
        let y = Tensor(shape: pooling2x2 ? [n, o, pooledH, pooledW] : outputShape(for: s)) { yp in
            input.withUnsafeBufferPointer { xp in
                u.withUnsafeBufferPointer { up in
                    scratch.withUnsafeMutableBufferPointer { sp in
                        (biasValues ?? []).withUnsafeBufferPointer { bp in
                            // Safe: each thread reads shared inputs and writes only its own chunks'
                            // samples of y and its own region of the scratch.
                            let box = UncheckedSendableBox((xp.baseAddress!, up.baseAddress!, sp.baseAddress!, yp.baseAddress!,
                                                            biasValues == nil ? nil : bp.baseAddress))
                            for part in 0..<parts { // the padding stays zero: samples write the interior only
                                (sp.baseAddress! + part * perThread).update(repeating: 0, count: g.paddedCount)
                            }
                            Conv2D.withBLASPerThread(parts) {
                                Conv2D.forEachSampleChunk(n, threads: parts, chunk: chunk) { thread, samples in
                                    let (x, u, scratchBase, y, bias) = box.value
                                    let padded = scratchBase + thread * perThread, v = padded + g.paddedCount
                                    let m = v + vCount, tile = m + mCount, pooled = tile + tileCount
                                    let t = samples.count * g.tiles
                                    for (i, sample) in samples.enumerated() {
                                        g.transformSample(x + sample * g.c * g.p, padded: padded, into: v + i * g.tiles * g.c,
                                                          kStride: t * g.c)
                                    }
                                    for k in 0..<g.positions {
                                        g.product(v + k * t * g.c, u + k * g.c * o, rows: t, into: m + k * t * o)
                                    }
                                    for (i, sample) in samples.enumerated() {
                                        let out = y + sample * o * outputPlane
                                        if pooling2x2 {
                                            g.outputTransform(m + i * g.tiles * o, kStride: t * o, channels: o, into: tile)
                                            lepton_pool2x2_pixel_major(tile, Int32(g.h), Int32(g.w), Int32(o), pooled)
                                            lepton_transpose(pooled, o, Int32(outputPlane), Int32(o), out, outputPlane,
                                                             bias, applyingReLU ? 1 : 0)
                                        } else {
                                            g.writeOutput(m + i * g.tiles * o, kStride: t * o, tile: tile, into: out, bias: bias,
                                                          relu: applyingReLU)
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
        return y
    }

    // MARK: Backward

    /// ∂L/∂W, ∂L/∂b and (when `inputGradient`) ∂L/∂x on the Winograd kernels; the gradient of y
    /// is gathered per sample as on the other paths (through a fused ReLU and max-pool).
    func winogradBackward(input x: Tensor, gradient gy: Tensor, inputGradient: Bool, reluOutput: Tensor?,
                          poolArgmax: [Int32]?) -> Tensor? {
        let s = x.shape
        let g = winogradGeometry(s)
        let n = s[0], o = outChannels
        let parts = max(1, min(Threading.count, n)), perPart = (n + parts - 1) / parts
        let chunk = g.chunk(perPart: perPart, targetTiles: winogradTargetTiles)
        let state = direct
        // The training forward pass left U in place for these weights and this tile size (the
        // optimizer changes the weights only after backward); otherwise transform them again.
        let kept = state.packedWinogradWeights.map { $0.m == g.m && $0.weights.sharesStorage(with: weight.value) } ?? false
        if !kept { winogradTransformedWeights(m: g.m, into: &state.packedWeights) }
        state.packedWinogradWeights = nil // (releases the reference before the optimizer writes the weights)
        let u = state.packedWeights
        let transposed = inputGradient ? winogradTransposedWeights(u, g) : [0]
        defer { if inputGradient { state.transposedWinogradWeights = transposed } }
        let transformedInputKept = state.scratchHoldsTransformedInput.map { $0.m == g.m && $0.input.sharesStorage(with: x) } ?? false
        state.scratchHoldsTransformedInput = nil
        let gather = GradientGather(pooled: poolArgmax != nil, masked: reluOutput != nil, o: o, h: g.h, w: g.w)
        if winogradBatches(g, samples: n) {
            return winogradBatchedBackward(input: x, gradient: gy, g, u: u, uT: transposed, inputGradient: inputGradient, gather: gather,
                                           reluOutput: reluOutput, poolArgmax: poolArgmax,
                                           transformedInputKept: transformedInputKept)
        }
        // Per part: the padded sample (input, then ∂L/∂x), V (then dV) and dM of a chunk, the
        // gathered gradient (O × P) and its pixel-major transpose (P × O).
        let vCount = g.positions * chunk * g.tiles * g.c, mCount = g.positions * chunk * g.tiles * o
        let perPartCount = g.paddedCount + vCount + mCount + 2 * g.p * o
        var scratch = Conv2D.take(&state.scratch, parts * perPartCount)
        let transformedCount = g.positions * g.c * o
        // Per part: Σ dU over its tiles. Not zero-filled: each part's first chunk writes all of
        // its region (a product without accumulation) and an empty part zeroes its own, before
        // anything reads it. Kept between batches in `direct.transformedGradient`.
        var partialTransformed = Conv2D.take(&state.transformedGradient, parts * transformedCount)
        defer { state.transformedGradient = partialTransformed }
        var partialBias = [Float](repeating: 0, count: parts * o)
        // Every element of ∂L/∂x is written (the interior rows of each sample's padded gradient).
        var dx = inputGradient ? Tensor(shape: s) { _ in } : Tensor(shape: [1])
        let mask = reluOutput ?? Tensor(shape: [1])
        let argmax = poolArgmax ?? [0]
        let hasBias = bias != nil // (no bias: no ∂L/∂b sums to take)
        x.withUnsafeBufferPointer { xp in
            gy.withUnsafeBufferPointer { gp in
                mask.withUnsafeBufferPointer { mp in
                    argmax.withUnsafeBufferPointer { ap in
                        u.withUnsafeBufferPointer { up in
                            scratch.withUnsafeMutableBufferPointer { sp in
                                dx.withUnsafeMutableBufferPointer { dxp in
                                    partialTransformed.withUnsafeMutableBufferPointer { ptp in
                                        partialBias.withUnsafeMutableBufferPointer { pbp in
                                            // Safe: each part reads shared inputs and writes only its own
                                            // samples of dx and its own scratch and partial sums.
                                            let box = UncheckedSendableBox((
                                                xp.baseAddress!, gp.baseAddress!, mp.baseAddress!, ap.baseAddress!,
                                                up.baseAddress!, sp.baseAddress!, dxp.baseAddress!, ptp.baseAddress!,
                                                pbp.baseAddress!))
                                            transposed.withUnsafeBufferPointer { utp in
                                            let uT = UncheckedSendableBox(utp.baseAddress!)
                                            let body = { (part: Int) in
                                                let (x, gy, relu, arg, u, scratchBase, dx, pt, pb) = box.value
                                                let padded = scratchBase + part * perPartCount, v = padded + g.paddedCount
                                                let dm = v + vCount, gathered = dm + mCount, pixelMajor = gathered + g.p * o
                                                let du = pt + part * transformedCount, db = pb + part * o
                                                padded.update(repeating: 0, count: g.paddedCount)
                                                let range = min(n, part * perPart)..<min(n, (part + 1) * perPart)
                                                if range.isEmpty { du.update(repeating: 0, count: transformedCount) }
                                                for start in Swift.stride(from: range.lowerBound, to: range.upperBound, by: chunk) {
                                                    let samples = start..<min(range.upperBound, start + chunk)
                                                    let t = samples.count * g.tiles
                                                    for (i, sample) in samples.enumerated() {
                                                        g.transformSample(x + sample * g.c * g.p, padded: padded,
                                                                          into: v + i * g.tiles * g.c, kStride: t * g.c)
                                                        let gs = gather.sample(sample, gradient: gy, reluOutput: relu, argmax: arg,
                                                                               scratch: gathered)
                                                        if hasBias { g.addBiasGradient(gs, into: db) }
                                                        g.transformGradient(gs, pixelMajor: pixelMajor, into: dm + i * g.tiles * o,
                                                                            kStride: t * o)
                                                    }
                                                    for k in 0..<g.positions {
                                                        g.weightProduct(v + k * t * g.c, dm + k * t * o, rows: t, into: du + k * g.c * o,
                                                                        accumulate: start != range.lowerBound)
                                                    }
                                                    guard inputGradient else { continue }
                                                    for k in 0..<g.positions { // dV_k = dM_k · U_kᵀ, into V's place
                                                        g.inputProduct(dm + k * t * o, u: u + k * g.c * o, uT: uT.value + k * g.c * o,
                                                                       rows: t, into: v + k * t * g.c)
                                                    }
                                                    for (i, sample) in samples.enumerated() {
                                                        padded.update(repeating: 0, count: g.paddedCount)
                                                        g.inputGradientTransform(v + i * g.tiles * g.c, kStride: t * g.c,
                                                                                 channels: g.c, into: padded)
                                                        Conv2D.winogradUnpad(padded, g, into: dx + sample * g.c * g.p)
                                                    }
                                                    // The next chunk's input goes into the interior only: clear it all.
                                                    padded.update(repeating: 0, count: g.paddedCount)
                                                }
                                            }
                                            Conv2D.withBLASPerThread(parts) { Conv2D.forEachSamplePart(parts, body) }
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
        // Σ over parts in part order, then the adjoint of the weight transform.
        partialTransformed.withUnsafeMutableBufferPointer { pt in
            let total = pt.baseAddress!
            for part in 1..<max(1, parts) {
                let partial = total + part * transformedCount
                for q in 0..<transformedCount { total[q] += partial[q] }
            }
        }
        var db = [Float](repeating: 0, count: o)
        for part in 0..<parts {
            for oc in 0..<o { db[oc] += partialBias[part * o + oc] }
        }
        weight.gradient = partialTransformed.withUnsafeBufferPointer { winogradWeightGradient($0.baseAddress!, m: g.m) }
        bias?.gradient = Tensor(db)
        return inputGradient ? dx : nil
    }
}
