/// 2-D convolution (cross-correlation, as in every deep-learning library) with stride and zero
/// padding, computed as im2col + one GEMM per chunk of the batch — or, for 3×3 kernels with
/// stride 1 and padding 1 on a processor with AVX-512, by Winograd F(2×2, 3×3) or F(4×4, 3×3)
/// (Conv2D+Winograd.swift, ``usesWinogradKernels``: 64 channels and more, 2.25–4× fewer
/// multiplications) or by the direct kernels of Conv2D+Direct.swift (``usesDirectKernels``: the
/// smaller layers), which read the padded input without unfolding it.
///
/// Threads: the batch is split into ``Threading/count`` contiguous parts, each run on its own
/// thread (im2col, single-threaded GEMM, scatter, and in backward a partial ∂L/∂W summed in part
/// order afterwards), so the phases never wait for each other and the unfolded columns stay in
/// the cache of the core that uses them. A batch of one sample runs whole with threaded BLAS.
///
/// Shapes: input x (N, C, H, W), weight W (O, C, kh, kw), bias b (O), output y (N, O, Ho, Wo)
/// with `Ho = (H + 2·pad − kh) / stride + 1` (same for Wo). With `layout: .channelsLast` the
/// input is (N, H, W, C) and the output (N, Ho, Wo, O), computed by Winograd or by im2col + GEMM
/// on pixel-major columns (Conv2D+ChannelsLast.swift); the formulas below are the same.
///
/// - Forward: `y[n,o,i,j] = b[o] + Σ_{c,u,v} W[o,c,u,v] · x[n, c, i·s − pad + u, j·s − pad + v]`
///   (out-of-range x counts as 0). As matrices: with `cols` (C·kh·kw, N·Ho·Wo) the unfolded
///   input, `Y = W · cols` (O, N·Ho·Wo).
/// - Backward, with G = ∂L/∂y arranged as (O, N·Ho·Wo):
///   `∂L/∂W = G · colsᵀ`, `∂L/∂b[o] = Σ_{n,i,j} g[n,o,i,j]`, `∂L/∂cols = Wᵀ · G`, and ∂L/∂x is
///   ∂L/∂cols folded back (col2im, summing overlapping windows).
///
/// The naive direct convolution twins, ``naiveForward(_:)`` and ``naiveBackward(input:outputGradient:)``
/// (Conv2D+Naive.swift), are kept beside it and tested equal; im2col and col2im are in
/// Conv2D+Im2col.swift. Initialisation: He normal (fan-in C·kh·kw), bias zero.
public final class Conv2D: Layer {
    public let inChannels: Int, outChannels: Int
    public let kernelHeight: Int, kernelWidth: Int
    public let stride: Int, padding: Int
    /// Channels first (N, C, H, W), or channels last (N, H, W, C) in and out
    /// (Conv2D+ChannelsLast.swift); the weights are (O, C, kh, kw) either way.
    public let layout: ActivationLayout
    public let weight: Parameter
    /// `nil` for a convolution without bias (e.g. followed by BatchNorm).
    public let bias: Parameter?
    private var input: Tensor?
    /// When false, this layer always takes the im2col + GEMM path (tests compare the two).
    var prefersDirectKernels = true
    /// Overrides ``ConvolutionKernels``' choice of the Winograd path for this layer (tests):
    /// true takes it wherever it applies, false never; nil follows the policy.
    var prefersWinogradKernels: Bool?
    /// Whether the Winograd products run on CLeptonKernels' own small-matrix kernels (else BLAS):
    /// ``defaultWinogradOwnKernels`` (`LEPTON_WINOGRAD_GEMM=blas` turns them off); tests set it.
    var winogradOwnKernels = Conv2D.defaultWinogradOwnKernels
    /// Tiles per chunk on the Winograd path (tests make it small, to run several chunks).
    var winogradTargetTiles = Conv2D.defaultWinogradTargetTiles
    /// Outputs per side of a Winograd tile, 2 for F(2×2, 3×3) or 4 for F(4×4, 3×3), overriding
    /// ``ConvolutionKernels/winogradOutputTile(inChannels:outChannels:height:width:)`` (tests).
    var winogradOutputTile: Int?
    /// The largest batch of transformed tiles (floats) the Winograd path handles in one piece
    /// (Conv2D+WinogradBatched.swift); tests set it to 0 or huge to run either path.
    var winogradBatchedFloats = Conv2D.defaultWinogradBatchedFloats
    /// Workspaces of the direct 3×3 kernels (Conv2D+Direct.swift).
    let direct = DirectConvolution()
    /// Reused between batches: the unfolded input (channels last: all of that path's scratch),
    /// the (O, b·P) product / gathered gradient, and ∂L/∂cols, one region per batch part.
    /// Allocated on first use, grown when needed.
    var columns: [Float] = []
    private var workspace: [Float] = [], gradientColumns: [Float] = []
    /// The (samples, parts) split whose unfolded input ``columns`` holds from the latest
    /// training forward call (every part in one chunk), or nil.
    private var columnsHoldInput: (n: Int, parts: Int)?

    /// Unfolded-column budget, in floats, for all parts together (bounds memory on large batches
    /// and keeps each part's columns in the shared cache while BLAS reads them back: 4 MB ran
    /// ResNet-18's stride-2 convolutions 8–12% faster than 16 MB, `lepton-bench conv-layers`).
    static let columnBudget = 1 << 20

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, layout: ActivationLayout = .channelsFirst, using rng: inout SeededGenerator) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0,
                     "Conv2D: invalid configuration")
        self.inChannels = inChannels
        self.outChannels = outChannels
        kernelHeight = kernelSize
        kernelWidth = kernelSize
        self.stride = stride
        self.padding = padding
        self.layout = layout
        let fanIn = inChannels * kernelSize * kernelSize
        weight = Parameter(.heNormal([outChannels, inChannels, kernelSize, kernelSize], fanIn: fanIn, using: &rng))
        self.bias = bias ? Parameter(.zeros([outChannels])) : nil
    }

    public var summary: String {
        "Conv2D(\(inChannels)→\(outChannels), \(kernelHeight)×\(kernelWidth), stride \(stride), pad \(padding)\(bias == nil ? ", no bias" : "")\(layout == .channelsLast ? ", channels last" : ""))"
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        if let bias { return [("weight", weight), ("bias", bias)] }
        return [("weight", weight)]
    }

    /// Output shape (N, O, Ho, Wo) for an input shape (N, C, H, W); channels last, (N, Ho, Wo, O)
    /// for (N, H, W, C).
    public func outputShape(for s: [Int]) -> [Int] {
        let (h, w) = imageSize(s)
        let ho = (h + 2 * padding - kernelHeight) / stride + 1
        let wo = (w + 2 * padding - kernelWidth) / stride + 1
        precondition(ho > 0 && wo > 0, "\(summary): input \(s) is smaller than the kernel")
        return layout == .channelsLast ? [s[0], ho, wo, outChannels] : [s[0], outChannels, ho, wo]
    }

    /// (H, W) of an input shape in this layer's layout (checked).
    func imageSize(_ s: [Int]) -> (h: Int, w: Int) {
        if layout == .channelsLast {
            precondition(s.count == 4 && s[3] == inChannels, "\(summary): input must be (N, H, W, \(inChannels)), got \(s)")
            return (s[1], s[2])
        }
        precondition(s.count == 4 && s[1] == inChannels, "\(summary): input must be (N, \(inChannels), H, W), got \(s)")
        return (s[2], s[3])
    }

    struct Geometry {
        let c, h, w, kh, kw, stride, pad, ho, wo: Int
        var k: Int { c * kh * kw }
        var p: Int { ho * wo }

        /// The output columns `lo..<hi` whose input column `ox·stride − pad + v` lies in `0..<w`.
        @inline(__always)
        func validColumns(_ v: Int) -> (lo: Int, hi: Int) {
            let first = pad - v // ox·stride ≥ first
            let lo = first <= 0 ? 0 : min(wo, (first + stride - 1) / stride)
            let last = w - 1 + pad - v // ox·stride ≤ last
            let hi = last < 0 ? 0 : min(wo, last / stride + 1)
            return (lo, max(lo, hi))
        }

        /// The output rows `lo..<hi` whose input row `oy·stride − pad + u` lies in `0..<h`.
        @inline(__always)
        func validRows(_ u: Int) -> (lo: Int, hi: Int) {
            let first = pad - u, last = h - 1 + pad - u
            let lo = first <= 0 ? 0 : min(ho, (first + stride - 1) / stride)
            let hi = last < 0 ? 0 : min(ho, last / stride + 1)
            return (lo, max(lo, hi))
        }

        /// Stride 1 with output width = input width ("same" padding, e.g. 3×3 with pad 1): then
        /// output position q and input position q + (u − pad)·W + (v − pad) correspond for every
        /// in-range element of a (c, u, v) row, so a whole row is one contiguous span.
        var sameWidth: Bool { stride == 1 && wo == w }
    }

    func geometry(_ s: [Int]) -> Geometry {
        let (h, w) = imageSize(s)
        let o = outputShape(for: s)
        let (ho, wo) = layout == .channelsLast ? (o[1], o[2]) : (o[2], o[3])
        return Geometry(c: inChannels, h: h, w: w, kh: kernelHeight, kw: kernelWidth,
                        stride: stride, pad: padding, ho: ho, wo: wo)
    }

    /// How a batch of `n` samples is split: `parts` contiguous ranges of at most `perPart`
    /// samples, each processed in chunks of `chunk` samples so that all parts' column buffers
    /// together stay within ``columnBudget``.
    private struct Split {
        let n, parts, perPart, chunk: Int
        func range(_ part: Int) -> Range<Int> { min(n, part * perPart)..<min(n, (part + 1) * perPart) }
        /// Whether each part is a single chunk (then the columns of a whole forward pass fit).
        var singleChunk: Bool { chunk >= perPart }
    }

    private func split(_ g: Geometry, _ n: Int) -> Split {
        let parts = max(1, min(Threading.count, n))
        let perPart = (n + parts - 1) / parts
        let chunk = max(1, min(perPart, Conv2D.columnBudget / parts / max(1, g.k * g.p)))
        return Split(n: n, parts: parts, perPart: perPart, chunk: chunk)
    }

    /// Runs `body(part)` for every part, one per thread with single-threaded BLAS inside (the
    /// parallelism is over the batch); a single part runs inline with BLAS on all threads.
    private static func forEachPart(_ split: Split, _ body: (Int) -> Void) {
        guard split.parts > 1 else {
            body(0)
            return
        }
        let threads = Threading.count
        BLAS.setThreadCount(1)
        defer { BLAS.setThreadCount(threads) }
        parallelFor(split.parts) { r in for part in r { body(part) } }
    }

    // MARK: Workspaces

    /// Takes a reusable buffer of at least `count` floats out of `slot` (contents kept when it is
    /// big enough, else fresh); hand it back with `slot = buffer` so the next batch reuses it.
    static func take(_ slot: inout [Float], _ count: Int) -> [Float] {
        var buffer: [Float] = []
        swap(&buffer, &slot)
        if buffer.count < count { buffer = [Float](repeating: 0, count: count) }
        return buffer
    }

    // MARK: Forward

    /// What every forward pass on the direct kernels starts with: checks the input's shape, keeps
    /// it for the backward pass and drops the GEMM path's kept columns (they belong to an older input).
    func beginDirectPass(_ input: Tensor) {
        _ = outputShape(for: input.shape)
        columnsHoldInput = nil
        direct.scratchHoldsTransformedInput = nil
        self.input = input
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        forward(input, training: training, applyingReLU: false)
    }

    /// Drops the cached input and every workspace (unfolded columns, padded planes, Winograd
    /// scratch, U, ∂L/∂U and Uᵀ: hundreds of MB for ResNet-18's 512-channel layers).
    public func releaseWorkspaces() {
        forgetForwardState()
        columns = []
        workspace = []
        gradientColumns = []
        direct.paddedInput = []
        direct.scratch = []
        direct.packedWeights = []
        direct.transposedWinogradWeights = []
        direct.transformedGradient = []
    }

    /// Drops everything a forward pass kept for backward (the layer ran inside a
    /// ``DirectInferenceChain``), so a backward pass traps as after any inference pass.
    func forgetForwardState() {
        input = nil
        columnsHoldInput = nil
        direct.paddedHoldsInput = nil
        direct.pooledOutput = nil
        direct.packedWinogradWeights = nil
        direct.scratchHoldsTransformedInput = nil
    }

    /// The forward pass, optionally with a following ReLU fused into the output scatter,
    /// `y = max(0, W ∗ x + b)` (``Sequential`` uses this for Conv2D → ReLU pairs; the ReLU layer
    /// then only records the output for its backward pass).
    ///
    /// With `pooling2x2` (inference only; ``Sequential`` uses it for Conv2D → ReLU → 2×2/stride-2
    /// max-pool), the scatter writes the pooled output (N, O, ⌊Ho/2⌋, ⌊Wo/2⌋) directly:
    /// `max(0, max₄(W ∗ x) + b)`, which equals pooling `max(0, W ∗ x + b)` exactly because adding
    /// b and the ReLU are non-decreasing, also in floating point.
    func forward(_ input: Tensor, training: Bool, applyingReLU: Bool, pooling2x2: Bool = false) -> Tensor {
        precondition(!(training && pooling2x2), "\(summary): the fused max-pool is for inference only")
        if layout == .channelsLast {
            precondition(!pooling2x2, "\(summary): the fused max-pool is for channels-first layers")
            return channelsLastForward(input, training: training, applyingReLU: applyingReLU)
        }
        let g = geometry(input.shape)
        if usesWinogradKernels {
            beginDirectPass(input)
            return winogradForward(input, training: training, applyingReLU: applyingReLU, pooling2x2: pooling2x2)
        }
        if usesDirectKernels {
            beginDirectPass(input)
            return directForward(input, training: training, applyingReLU: applyingReLU, pooling2x2: pooling2x2)
        }
        direct.paddedHoldsInput = nil
        direct.pooledOutput = nil
        direct.packedWinogradWeights = nil
        direct.scratchHoldsTransformedInput = nil
        let n = input.shape[0], o = outChannels
        let (pooledH, pooledW) = (g.ho / 2, g.wo / 2)
        let outputShape = pooling2x2 ? [n, o, pooledH, pooledW] : [n, o, g.ho, g.wo]
        let outputPlane = pooling2x2 ? pooledH * pooledW : g.p
        let sp = split(g, n)
        let colsPerPart = g.k * sp.chunk * g.p, productPerPart = o * sp.chunk * g.p
        var cols = Conv2D.take(&columns, sp.parts * colsPerPart)
        var product = Conv2D.take(&workspace, sp.parts * productPerPart)
        let biasValues = bias?.value.scalars ?? [Float](repeating: 0, count: o)
        let y = Tensor(shape: outputShape) { yp in
            input.withUnsafeBufferPointer { xp in
                weight.value.withUnsafeBufferPointer { wp in
                    cols.withUnsafeMutableBufferPointer { cp in
                        product.withUnsafeMutableBufferPointer { pp in
                            biasValues.withUnsafeBufferPointer { bp in
                                // Safe: each part reads shared inputs and writes only its own
                                // samples of y and its own regions of cols and product.
                                let box = UncheckedSendableBox((xp.baseAddress!, wp.baseAddress!, cp.baseAddress!,
                                                                pp.baseAddress!, yp.baseAddress!, bp.baseAddress!))
                                Conv2D.forEachPart(sp) { part in
                                    let (x, w, colsBase, productBase, y, bias) = box.value
                                    let cols = colsBase + part * colsPerPart, product = productBase + part * productPerPart
                                    let range = sp.range(part)
                                    var start = range.lowerBound
                                    while start < range.upperBound {
                                        let b = min(sp.chunk, range.upperBound - start)
                                        Conv2D.im2col(x, g, first: start, count: b, into: cols)
                                        BLAS.gemm(.none, .none, m: o, n: b * g.p, k: g.k, a: w, b: cols, c: product)
                                        // Scatter (O, b·P) into y[start + i, o, :], adding the bias.
                                        for i in 0..<b {
                                            for oc in 0..<o {
                                                let dst = y + ((start + i) * o + oc) * outputPlane
                                                let src = product + oc * b * g.p + i * g.p
                                                let bv = bias[oc]
                                                if pooling2x2 {
                                                    Conv2D.pool2x2(src, width: g.wo, into: dst, height: pooledH, outWidth: pooledW,
                                                                   bias: bv, relu: applyingReLU)
                                                } else if applyingReLU {
                                                    for q in 0..<g.p { dst[q] = Swift.max(src[q] + bv, 0) }
                                                } else {
                                                    for q in 0..<g.p { dst[q] = src[q] + bv }
                                                }
                                            }
                                        }
                                        start += b
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // When every part fitted in one chunk, the columns now hold exactly what the backward
        // pass would unfold again: keep them (training only) and skip that work.
        columnsHoldInput = training && sp.singleChunk ? (n, sp.parts) : nil
        columns = cols
        workspace = product
        self.input = input
        return y
    }

    /// `dst[i, j] = max(0?, max(src[2i, 2j], src[2i, 2j+1], src[2i+1, 2j], src[2i+1, 2j+1]) + bias)`:
    /// one output plane of the fused convolution → ReLU → 2×2 max-pool (the same comparisons, in
    /// the same order, as ``MaxPool2D``'s first-max rule).
    @inline(__always)
    static func pool2x2(_ src: UnsafePointer<Float>, width: Int, into dst: UnsafeMutablePointer<Float>,
                        height: Int, outWidth: Int, bias: Float, relu: Bool) {
        for i in 0..<height {
            let top = src + 2 * i * width, bottom = top + width
            let row = dst + i * outWidth
            for j in 0..<outWidth {
                var best = top[2 * j]
                let b = top[2 * j + 1], c = bottom[2 * j], d = bottom[2 * j + 1]
                best = b > best ? b : best
                best = c > best ? c : best
                best = d > best ? d : best
                let value = best + bias
                row[j] = relu ? Swift.max(value, 0) : value
            }
        }
    }

    /// `Σ values[0..<count]` in eight interleaved partial sums (lane k adds elements k, k+8, …),
    /// then the lanes in order: independent additions the CPU overlaps, where one running sum
    /// waits for each addition in turn. A fixed order, so the result is reproducible.
    @inline(__always)
    static func sum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>()
        var q = 0
        while q &+ 8 <= count {
            lanes += UnsafeRawPointer(values + q).loadUnaligned(as: SIMD8<Float>.self)
            q &+= 8
        }
        var total = lanes.sum()
        while q < count {
            total += values[q]
            q &+= 1
        }
        return total
    }

    /// The gradient of one (Ho × Wo) plane behind ReLU → 2×2/stride-2 max-pool: each window's
    /// arg-max cell gets the window's pooled gradient if the ReLU passed it (output > 0), every
    /// other cell — and the row and column no window covers when Ho or Wo is odd — gets 0.
    @inline(__always)
    static func unpool2x2(_ pooled: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, reluOutput y: UnsafePointer<Float>,
                          width: Int, height: Int, into dst: UnsafeMutablePointer<Float>) {
        let (ph, pw) = (height / 2, width / 2)
        for i in 0..<ph {
            let top = 2 &* i &* width
            let windows = i &* pw
            for j in 0..<pw {
                // Wrapping arithmetic: every offset is within the plane (no overflow checks).
                let at = Int(truncatingIfNeeded: argmax[windows &+ j]), p = top &+ 2 &* j
                let v = y[at] > 0 ? pooled[windows &+ j] : 0
                dst[p] = at == p ? v : 0
                dst[p &+ 1] = at == p &+ 1 ? v : 0
                dst[p &+ width] = at == p &+ width ? v : 0
                dst[p &+ width &+ 1] = at == p &+ width &+ 1 ? v : 0
            }
            if 2 * pw < width {
                dst[top + width - 1] = 0
                dst[top + 2 * width - 1] = 0
            }
        }
        if 2 * ph < height { (dst + 2 * ph * width).update(repeating: 0, count: width) }
    }

    /// ``unpool2x2(_:argmax:reluOutput:width:height:into:)`` with the ReLU's mask read from the
    /// pooled output (`pooledOutput[k] > 0`, one value per window) — the scalar twin of
    /// `lepton_unpool2x2_pooled_mask`.
    static func unpool2x2(_ pooled: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, pooledOutput: UnsafePointer<Float>,
                          width: Int, height: Int, into dst: UnsafeMutablePointer<Float>) {
        let (ph, pw) = (height / 2, width / 2)
        dst.update(repeating: 0, count: width * height)
        for k in 0..<(ph * pw) where pooledOutput[k] > 0 {
            dst[Int(argmax[k])] = pooled[k]
        }
    }

    // MARK: Backward

    public func backward(_ outputGradient: Tensor) -> Tensor {
        backward(outputGradient, inputGradient: true)!
    }

    /// Parameter gradients only: the first layer of a network does not need ∂L/∂x, which saves
    /// one GEMM and the col2im fold.
    public func backwardParameters(_ outputGradient: Tensor) {
        _ = backward(outputGradient, inputGradient: false)
    }

    /// Backward through this convolution and the ReLU that followed it, given that ReLU's output
    /// `y` (the same shape as this layer's output): the ReLU's mask `1[y > 0]` is applied while
    /// the gradient is gathered, which saves the ReLU's own pass (``Sequential`` uses it for
    /// Conv2D → ReLU pairs). Returns ∂L/∂x when `inputGradient`, else nil.
    func backward(_ outputGradient: Tensor, throughReLUWithOutput y: Tensor, inputGradient: Bool) -> Tensor? {
        precondition(y.shape == outputGradient.shape, "\(summary).backward: ReLU output \(y.shape) vs gradient \(outputGradient.shape)")
        return backward(outputGradient, inputGradient: inputGradient, reluOutput: y)
    }

    /// Backward through a following ReLU and 2×2/stride-2 max-pool in one step (training): the
    /// gradient gather takes the pool's gradient `pooledGradient` (N, O, ⌊Ho/2⌋, ⌊Wo/2⌋) to each
    /// window's arg-max cell (`poolArgmax`, offsets within the plane, as ``MaxPool2D`` records
    /// them) through the ReLU mask, and zero elsewhere — what the pool's and the ReLU's backward
    /// passes would give, without writing and reading back the full-size gradient in between.
    func backward(pooledGradient: Tensor, poolArgmax: [Int32], throughReLUWithOutput y: Tensor,
                  inputGradient: Bool) -> Tensor? {
        let s = y.shape
        precondition(s.count == 4 && pooledGradient.shape == [s[0], s[1], s[2] / 2, s[3] / 2] && poolArgmax.count == pooledGradient.count,
                     "\(summary).backward: pooled gradient \(pooledGradient.shape) vs ReLU output \(s)")
        return backward(pooledGradient, inputGradient: inputGradient, reluOutput: y, poolArgmax: poolArgmax)
    }

    /// Backward of ``forwardTrainingPooled(_:)``: like
    /// ``backward(pooledGradient:poolArgmax:throughReLUWithOutput:inputGradient:)``, with the ReLU's
    /// mask read from the pooled output that pass recorded.
    func backward(pooledGradient: Tensor, poolArgmax: [Int32], inputGradient: Bool) -> Tensor? {
        let x = cached(input, summary)
        let pooledOutput = cached(direct.pooledOutput, summary)
        precondition(pooledGradient.shape == pooledOutput.shape && poolArgmax.count == pooledGradient.count,
                     "\(summary).backward: pooled gradient \(pooledGradient.shape) vs pooled output \(pooledOutput.shape)")
        return directBackward(input: x, gradient: pooledGradient, inputGradient: inputGradient, reluOutput: pooledOutput,
                              poolArgmax: poolArgmax, maskFromPooledOutput: true)
    }

    private func backward(_ outputGradient: Tensor, inputGradient: Bool, reluOutput: Tensor? = nil,
                          poolArgmax: [Int32]? = nil) -> Tensor? {
        let x = cached(input, summary)
        if layout == .channelsLast {
            precondition(poolArgmax == nil && outputGradient.shape == outputShape(for: x.shape),
                         "\(summary).backward: gradient \(outputGradient.shape)")
            return channelsLastBackward(input: x, gradient: outputGradient, inputGradient: inputGradient, reluOutput: reluOutput)
        }
        let g = geometry(x.shape)
        let n = x.shape[0], o = outChannels
        let pooled = poolArgmax != nil
        let (pooledH, pooledW) = (g.ho / 2, g.wo / 2)
        precondition(outputGradient.shape == (pooled ? [n, o, pooledH, pooledW] : [n, o, g.ho, g.wo]),
                     "\(summary).backward: gradient \(outputGradient.shape)")
        if usesWinogradKernels {
            return winogradBackward(input: x, gradient: outputGradient, inputGradient: inputGradient,
                                    reluOutput: reluOutput, poolArgmax: poolArgmax)
        }
        if usesDirectKernels {
            return directBackward(input: x, gradient: outputGradient, inputGradient: inputGradient,
                                  reluOutput: reluOutput, poolArgmax: poolArgmax)
        }
        let hasBias = bias != nil // (no bias: no ∂L/∂b sums to take)
        let gather = GradientGather(pooled: pooled, masked: reluOutput != nil, o: o, h: g.ho, w: g.wo)
        let mask = reluOutput ?? Tensor(shape: [1])
        let argmax = poolArgmax ?? [0]
        let sp = split(g, n)
        let reuse = columnsHoldInput.map { $0.n == n && $0.parts == sp.parts && sp.singleChunk } ?? false
        let colsPerPart = g.k * sp.chunk * g.p, gatheredPerPart = o * sp.chunk * g.p
        let weightCount = o * g.k
        var cols = Conv2D.take(&columns, sp.parts * colsPerPart)
        var gradCols = inputGradient ? Conv2D.take(&gradientColumns, sp.parts * colsPerPart) : [0]
        var gathered = Conv2D.take(&workspace, sp.parts * gatheredPerPart)
        var dx = inputGradient ? Tensor(shape: x.shape) : Tensor(shape: [1])
        // Per-part partial sums of ∂L/∂W and ∂L/∂b, added up in part order below.
        var partialWeight = [Float](repeating: 0, count: sp.parts * weightCount)
        var partialBias = [Float](repeating: 0, count: sp.parts * o)
        x.withUnsafeBufferPointer { xp in
            argmax.withUnsafeBufferPointer { ap in
                mask.withUnsafeBufferPointer { mp in
                    outputGradient.withUnsafeBufferPointer { gp in
                        weight.value.withUnsafeBufferPointer { wp in
                            dx.withUnsafeMutableBufferPointer { dxp in
                                cols.withUnsafeMutableBufferPointer { cp in
                                    gradCols.withUnsafeMutableBufferPointer { gcp in
                                        gathered.withUnsafeMutableBufferPointer { gap in
                                            partialWeight.withUnsafeMutableBufferPointer { pwp in
                                                partialBias.withUnsafeMutableBufferPointer { pbp in
                                                    // Safe: each part reads shared inputs and writes only its
                                                    // own samples of dx and its own workspace regions.
                                                    let box = UncheckedSendableBox((
                                                        xp.baseAddress!, mp.baseAddress!, gp.baseAddress!, wp.baseAddress!, dxp.baseAddress!,
                                                        cp.baseAddress!, gcp.baseAddress!, gap.baseAddress!,
                                                        pwp.baseAddress!, pbp.baseAddress!, ap.baseAddress!))
                                                    Conv2D.forEachPart(sp) { part in
                                                        let (x, relu, gy, w, dx, colsBase, gradBase, gatheredBase, pw, pb, arg) = box.value
                                                        let cols = colsBase + part * colsPerPart
                                                        let gradCols = gradBase + part * colsPerPart
                                                        let gathered = gatheredBase + part * gatheredPerPart
                                                        let dw = pw + part * weightCount, db = pb + part * o
                                                        let range = sp.range(part)
                                                        var start = range.lowerBound
                                                        while start < range.upperBound {
                                                            let b = min(sp.chunk, range.upperBound - start)
                                                            // Gather the chunk of G as (O, b·P) — through the ReLU mask
                                                            // when fused — and add its row sums to ∂L/∂b.
                                                            for i in 0..<b {
                                                                for oc in 0..<o {
                                                                    gather.plane(start + i, oc, gradient: gy, reluOutput: relu, argmax: arg,
                                                                                 into: gathered + oc * b * g.p + i * g.p)
                                                                }
                                                            }
                                                            for oc in 0..<o where hasBias {
                                                                db[oc] += Conv2D.sum(gathered + oc * b * g.p, count: b * g.p)
                                                            }
                                                            if !reuse { Conv2D.im2col(x, g, first: start, count: b, into: cols) }
                                                            // ∂L/∂W += G · colsᵀ
                                                            BLAS.gemm(.none, .transpose, m: o, n: g.k, k: b * g.p,
                                                                      a: gathered, b: cols, beta: 1, c: dw)
                                                            if inputGradient {
                                                                // ∂L/∂cols = Wᵀ · G, folded back into ∂L/∂x
                                                                BLAS.gemm(.transpose, .none, m: g.k, n: b * g.p, k: o,
                                                                          a: w, b: gathered, c: gradCols)
                                                                Conv2D.col2im(gradCols, g, first: start, count: b, into: dx)
                                                            }
                                                            start += b
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
            }
        }
        columns = cols
        if inputGradient { gradientColumns = gradCols }
        workspace = gathered
        var dw = Tensor(shape: weight.value.shape), db = [Float](repeating: 0, count: o)
        dw.withUnsafeMutableBufferPointer { d in
            for part in 0..<sp.parts {
                for j in 0..<weightCount { d[j] += partialWeight[part * weightCount + j] }
            }
        }
        for part in 0..<sp.parts {
            for oc in 0..<o { db[oc] += partialBias[part * o + oc] }
        }
        weight.gradient = dw
        bias?.gradient = Tensor(db)
        return inputGradient ? dx : nil
    }
}
