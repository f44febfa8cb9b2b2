import CLeptonKernels
import Foundation

/// The channels-last passes of ``Conv2D`` (`layout: .channelsLast`: input (N, H, W, C), output
/// (N, Ho, Wo, O)). The 3×3 stride-1 layers that qualify take the Winograd kernels, which work in
/// this layout anyway (no transposes on the way in or out); every other shape takes im2col + GEMM
/// with pixel-major columns:
///
/// - Forward: `cols` (N·Ho·Wo, kh·kw·C), row (n, i, j) holding the kh·kw input pixels of that
///   window side by side (C channels each, zeros outside the image), and `Y = cols · Wt`, with
///   `Wt[(u·kw + v)·C + c][o] = W[o, c, u, v]`. Y (N·Ho·Wo, O) is the output itself: the GEMM
///   writes straight into y. A 1×1 stride-1 unpadded layer uses x as its columns.
/// - Backward, with G = ∂L/∂y as (N·Ho·Wo, O): `∂L/∂Wt = colsᵀ · G`, `∂L/∂b = Σ_rows G`,
///   `∂L/∂cols = G · Wtᵀ`, added back into ∂L/∂x window by window (col2im).
///
/// Unfolding copies whole C-channel runs, where the channels-first columns gather single
/// elements with a stride. Threads split the batch as on the channels-first path, with partial
/// ∂L/∂W summed in part order. Tests hold every pass to the naive convolution on the transposed
/// tensors.
extension Conv2D {
    /// `Wt` (kh·kw·C, O) from W (O, C, kh, kw): W as an (O, C·kh·kw) matrix transposed, then its
    /// rows reordered from (c, tap) to (tap, c).
    func channelsLastWeights() -> [Float] {
        let (o, c, taps) = (outChannels, inChannels, kernelHeight * kernelWidth)
        return weight.value.withUnsafeBufferPointer { w in
            Conv2D.reorderRows(Conv2D.transposed(w.baseAddress!, rows: o, cols: c * taps), rows: (c, taps), width: o)
        }
    }

    /// ∂L/∂W (O, C, kh, kw) from ∂L/∂Wt (kh·kw·C, O): the inverse of ``channelsLastWeights()``.
    func weightGradient(fromChannelsLast dwt: [Float]) -> Tensor {
        let (o, c, taps) = (outChannels, inChannels, kernelHeight * kernelWidth)
        let reordered = Conv2D.reorderRows(dwt, rows: (taps, c), width: o)
        return Tensor(shape: weight.value.shape, scalars: reordered.withUnsafeBufferPointer {
            Conv2D.transposed($0.baseAddress!, rows: c * taps, cols: o)
        })
    }

    /// The (cols × rows) transpose of a row-major (rows × cols) matrix.
    static func transposed(_ m: UnsafePointer<Float>, rows: Int, cols: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * cols) { t, count in
            if DirectConvolution.processorSupported {
                lepton_transpose(m, cols, Int32(rows), Int32(cols), t.baseAddress!, rows, nil, 0)
            } else {
                for r in 0..<rows {
                    for q in 0..<cols { t[q * rows + r] = m[r * cols + q] }
                }
            }
            count = rows * cols
        }
    }

    /// Rows indexed (a, b) → (b, a): row `a·rows.1 + b` of `m` becomes row `b·rows.0 + a`.
    static func reorderRows(_ m: [Float], rows: (Int, Int), width: Int) -> [Float] {
        if rows.0 == 1 || rows.1 == 1 { return m }
        return [Float](unsafeUninitializedCapacity: m.count) { out, count in
            m.withUnsafeBufferPointer { src in
                for a in 0..<rows.0 {
                    for b in 0..<rows.1 {
                        (out.baseAddress! + (b * rows.0 + a) * width)
                            .update(from: src.baseAddress! + (a * rows.1 + b) * width, count: width)
                    }
                }
            }
            count = m.count
        }
    }

    /// Whether x itself is the column matrix (1×1 kernel, stride 1, no padding).
    var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0 }

    /// Walks the windows of samples `first..<first+count` in column order: for every output pixel
    /// and tap, `body(column, input)` with the offset of that tap's C-channel run in the columns
    /// (count·P, K) and the offset of the matching input pixel's run in x, nil outside the image.
    @inline(__always)
    static func forEachWindowRun(_ g: Geometry, first: Int, count: Int, _ body: (Int, Int?) -> Void) {
        let c = g.c
        for i in 0..<count {
            let sample = (first + i) * g.h * g.w * c
            for oy in 0..<g.ho {
                for ox in 0..<g.wo {
                    var column = ((i * g.ho + oy) * g.wo + ox) * g.k
                    for u in 0..<g.kh {
                        let iy = oy * g.stride - g.pad + u
                        for v in 0..<g.kw {
                            let ix = ox * g.stride - g.pad + v
                            body(column, iy >= 0 && iy < g.h && ix >= 0 && ix < g.w ? sample + (iy * g.w + ix) * c : nil)
                            column += c
                        }
                    }
                }
            }
        }
    }

    /// Unfolds samples `first..<first+count` of a channels-last x into `cols` (count·P, K).
    static func im2colChannelsLast(_ x: UnsafePointer<Float>, _ g: Geometry, first: Int, count: Int,
                                   into cols: UnsafeMutablePointer<Float>) {
        forEachWindowRun(g, first: first, count: count) { column, input in
            Conv2D.copyRun(input.map { x + $0 }, to: cols + column, count: g.c)
        }
    }

    /// Copies a run of `count` channels (zeros when `src` is nil): memcpy / memset for whole
    /// vectors' worth, a plain loop for a few channels (the stem's one), where a call would cost
    /// more than the copy.
    @inline(__always)
    static func copyRun(_ src: UnsafePointer<Float>?, to dst: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 16 {
            if let src { dst.update(from: src, count: count) } else { dst.update(repeating: 0, count: count) }
        } else if let src {
            for q in 0..<count { dst[q] = src[q] }
        } else {
            for q in 0..<count { dst[q] = 0 }
        }
    }

    /// Adds `cols` (count·P, K) back into samples `first..<first+count` of a channels-last ∂L/∂x.
    static func col2imChannelsLast(_ cols: UnsafePointer<Float>, _ g: Geometry, first: Int, count: Int,
                                   into dx: UnsafeMutablePointer<Float>) {
        forEachWindowRun(g, first: first, count: count) { column, input in
            guard let input else { return }
            let (src, dst) = (cols + column, dx + input)
            for q in 0..<g.c { dst[q] += src[q] }
        }
    }

    /// `Σ_rows m[row][col]` added into `sums` (cols entries), rows in order.
    static func addColumnSums(_ m: UnsafePointer<Float>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let row = m + r * cols
            for q in 0..<cols { sums[q] += row[q] }
        }
    }

    /// Adds the bias and applies the ReLU (either optional) over `rows` rows of O values.
    static func biasReLU(_ y: UnsafeMutablePointer<Float>, rows: Int, o: Int, bias: UnsafePointer<Float>?, relu: Bool) {
        for r in 0..<rows {
            let row = y + r * o
            if let bias { for q in 0..<o { row[q] += bias[q] } }
            if relu { for q in 0..<o { row[q] = Swift.max(row[q], 0) } }
        }
    }

    // MARK: Forward

    /// The channels-last forward pass (Winograd where it applies, else im2col + GEMM).
    func channelsLastForward(_ input: Tensor, training: Bool, applyingReLU: Bool) -> Tensor {
        beginDirectPass(input)
        if usesWinogradKernels {
            return winogradForward(input, training: training, applyingReLU: applyingReLU, pooling2x2: false)
        }
        direct.paddedHoldsInput = nil
        direct.pooledOutput = nil
        direct.packedWinogradWeights = nil
        let g = geometry(input.shape)
        let n = input.shape[0], o = outChannels
        let sp = channelsLastSplit(g, n)
        let pointwise = isPointwise
        let colsPerPart = pointwise ? 0 : g.k * sp.chunk * g.p
        var cols = Conv2D.take(&columns, max(1, sp.parts * colsPerPart))
        let wt = channelsLastWeights()
        let biasValues = bias?.value.scalars
        let y = Tensor(shape: [n, g.ho, g.wo, o]) { yp in
            input.withUnsafeBufferPointer { xp in
                wt.withUnsafeBufferPointer { wp in
                    cols.withUnsafeMutableBufferPointer { cp in
                        (biasValues ?? []).withUnsafeBufferPointer { bp in
                            // Safe: each part reads shared inputs and writes only its own samples of y
                            // and its own region of cols.
                            let box = UncheckedSendableBox((xp.baseAddress!, wp.baseAddress!, cp.baseAddress!, yp.baseAddress!,
                                                            biasValues == nil ? nil : bp.baseAddress))
                            Conv2D.withBLASPerThread(sp.parts) {
                                Conv2D.forEachSamplePart(sp.parts) { part in
                                    let (x, wt, colsBase, y, bias) = box.value
                                    let range = min(n, part * sp.perPart)..<min(n, (part + 1) * sp.perPart)
                                    for start in Swift.stride(from: range.lowerBound, to: range.upperBound, by: sp.chunk) {
                                        let b = min(sp.chunk, range.upperBound - start)
                                        let rows = b * g.p, out = y + start * g.p * o
                                        let a: UnsafePointer<Float>
                                        if pointwise {
                                            a = x + start * g.p * g.c
                                        } else {
                                            let cols = colsBase + part * colsPerPart
                                            Conv2D.im2colChannelsLast(x, g, first: start, count: b, into: cols)
                                            a = UnsafePointer(cols)
                                        }
                                        BLAS.gemm(.none, .none, m: rows, n: o, k: g.k, a: a, b: wt, c: out)
                                        if bias != nil || applyingReLU {
                                            Conv2D.biasReLU(out, rows: rows, o: o, bias: bias, relu: applyingReLU)
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
        return y
    }

    /// Parts (one per thread) and chunk size for the channels-last GEMM path: as on the
    /// channels-first path, all parts' columns within ``columnBudget``.
    func channelsLastSplit(_ g: Geometry, _ n: Int) -> (parts: Int, perPart: Int, chunk: Int) {
        let parts = max(1, min(Threading.count, n))
        let perPart = (n + parts - 1) / parts
        let chunk = max(1, min(perPart, Conv2D.columnBudget / parts / max(1, g.k * g.p)))
        return (parts, perPart, chunk)
    }

    // MARK: Backward

    /// ∂L/∂W, ∂L/∂b and (when `inputGradient`) ∂L/∂x of the channels-last pass, through a fused
    /// ReLU when `reluOutput` is given.
    func channelsLastBackward(input x: Tensor, gradient gy: Tensor, inputGradient: Bool, reluOutput: Tensor?) -> Tensor? {
        if usesWinogradKernels {
            return winogradBackward(input: x, gradient: gy, inputGradient: inputGradient, reluOutput: reluOutput, poolArgmax: nil)
        }
        let g = geometry(x.shape)
        let n = x.shape[0], o = outChannels
        let sp = channelsLastSplit(g, n)
        let pointwise = isPointwise
        let colsPerPart = pointwise ? 0 : g.k * sp.chunk * g.p
        let gradColsPerPart = inputGradient && !pointwise ? g.k * sp.chunk * g.p : 0
        let gatheredPerPart = reluOutput != nil ? sp.chunk * g.p * o : 0
        var scratch = Conv2D.take(&columns, max(1, sp.parts * (colsPerPart + gradColsPerPart + gatheredPerPart)))
        let wt = channelsLastWeights()
        let weightCount = g.k * o
        var partialWeight = [Float](repeating: 0, count: sp.parts * weightCount)
        let hasBias = bias != nil
        var partialBias = [Float](repeating: 0, count: sp.parts * o)
        var dx = inputGradient ? Tensor(shape: x.shape) : Tensor(shape: [1])
        let mask = reluOutput ?? Tensor(shape: [1])
        x.withUnsafeBufferPointer { xp in
            gy.withUnsafeBufferPointer { gp in
                mask.withUnsafeBufferPointer { mp in
                    wt.withUnsafeBufferPointer { wp in
                        scratch.withUnsafeMutableBufferPointer { sp0 in
                            dx.withUnsafeMutableBufferPointer { dxp in
                                partialWeight.withUnsafeMutableBufferPointer { pwp in
                                    partialBias.withUnsafeMutableBufferPointer { pbp in
                                        // Safe: each part reads shared inputs and writes only its own
                                        // samples of dx, its own scratch and its own partial sums.
                                        let box = UncheckedSendableBox((xp.baseAddress!, gp.baseAddress!, mp.baseAddress!,
                                                                        wp.baseAddress!, sp0.baseAddress!, dxp.baseAddress!,
                                                                        pwp.baseAddress!, pbp.baseAddress!))
                                        let perPartScratch = colsPerPart + gradColsPerPart + gatheredPerPart
                                        Conv2D.withBLASPerThread(sp.parts) {
                                            Conv2D.forEachSamplePart(sp.parts) { part in
                                                let (x, gy, relu, wt, scratchBase, dx, pw, pb) = box.value
                                                let cols = scratchBase + part * perPartScratch, gradCols = cols + colsPerPart
                                                let gathered = gradCols + gradColsPerPart
                                                let dw = pw + part * weightCount, db = pb + part * o
                                                let range = min(n, part * sp.perPart)..<min(n, (part + 1) * sp.perPart)
                                                for start in Swift.stride(from: range.lowerBound, to: range.upperBound, by: sp.chunk) {
                                                    let b = min(sp.chunk, range.upperBound - start), rows = b * g.p
                                                    var gChunk = gy + start * g.p * o
                                                    if reluOutput != nil { // G through the ReLU's mask
                                                        let y = relu + start * g.p * o
                                                        for q in 0..<(rows * o) {
                                                            let gv = gChunk[q], yv = y[q]
                                                            gathered[q] = yv > 0 ? gv : 0
                                                        }
                                                        gChunk = UnsafePointer(gathered)
                                                    }
                                                    if hasBias { Conv2D.addColumnSums(gChunk, rows: rows, cols: o, into: db) }
                                                    let a: UnsafePointer<Float>
                                                    if pointwise {
                                                        a = x + start * g.p * g.c
                                                    } else {
                                                        Conv2D.im2colChannelsLast(x, g, first: start, count: b, into: cols)
                                                        a = UnsafePointer(cols)
                                                    }
                                                    // ∂L/∂Wt += colsᵀ · G
                                                    BLAS.gemm(.transpose, .none, m: g.k, n: o, k: rows, a: a, b: gChunk, beta: 1, c: dw)
                                                    guard inputGradient else { continue }
                                                    // ∂L/∂cols = G · Wtᵀ, folded back into ∂L/∂x
                                                    if pointwise {
                                                        BLAS.gemm(.none, .transpose, m: rows, n: g.k, k: o, a: gChunk, b: wt,
                                                                  c: dx + start * g.p * g.c)
                                                    } else {
                                                        BLAS.gemm(.none, .transpose, m: rows, n: g.k, k: o, a: gChunk, b: wt, c: gradCols)
                                                        Conv2D.col2imChannelsLast(gradCols, g, first: start, count: b, into: dx)
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
        columns = scratch
        // Σ over parts in part order, then Wt's layout back into W's (O, C, kh, kw).
        var dwt = [Float](repeating: 0, count: weightCount)
        for part in 0..<sp.parts {
            for j in 0..<weightCount { dwt[j] += partialWeight[part * weightCount + j] }
        }
        weight.gradient = weightGradient(fromChannelsLast: dwt)
        if hasBias {
            var db = [Float](repeating: 0, count: o)
            for part in 0..<sp.parts {
                for oc in 0..<o { db[oc] += partialBias[part * o + oc] }
            }
            bias?.gradient = Tensor(db)
        }
        return inputGradient ? dx : nil
    }
}
