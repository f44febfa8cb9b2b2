import CLeptonKernels
import Foundation

/// The Winograd path for layers whose whole batch of transformed tiles is small (ResNet-18's last
/// two stages: 4 tiles per 7 × 7 image or 1 per 4 × 4 one, 256 or 512 channels). There the chunked path's
/// split of the batch over threads costs more than it gains: each thread streams all of U
/// (16–37 MB) through the cache for its own few tiles, and in backward keeps its own copy of
/// ∂L/∂U, summed afterwards. Here the work goes in three phases instead:
///
/// 1. per sample, over the threads: the input (and in backward the gradient) transforms of the
///    whole batch, V (and dM) with T = N · tiles rows per tile position;
/// 2. per tile position k, over the threads: the products for all T tiles at once —
///    `M_k = V_k · U_k`, or `dU_k = V_kᵀ · dM_k` and `dV_k = dM_k · U_kᵀ` — so each U_k and dU_k
///    is touched by one thread only and ∂L/∂U needs no sum across threads;
/// 3. per sample, over the threads: the output (or input-gradient) transforms.
///
/// Every value is computed by one thread in a fixed order, so the results do not depend on the
/// thread count at all. The transforms and products are the chunked path's; tests hold the two
/// paths equal. The price is memory: each such layer keeps its scratch (V and M of the whole
/// batch, up to 2 × 32 MB) between passes, about 200 MB for ResNet-18 at batch 128, and like
/// every Winograd layer its ∂L/∂U (up to 37 MB, at 512 channels) and, with the own backward
/// products, U_kᵀ.
extension Conv2D {
    /// The most floats one of the batch's transformed tensors (V, M or dM: positions · N · tiles ·
    /// channels) may have for the batched path (32 MB); larger layers take the chunked one.
    /// `LEPTON_WINOGRAD_BATCHED_FLOATS=N` sets it (0: never batched), for comparisons.
    static let defaultWinogradBatchedFloats: Int =
        Int(ProcessInfo.processInfo.environment["LEPTON_WINOGRAD_BATCHED_FLOATS"] ?? "") ?? 1 << 23

    /// Whether a batch of `n` samples takes the batched path.
    func winogradBatches(_ g: WinogradGeometry, samples n: Int) -> Bool {
        g.positions * n * g.tiles * Swift.max(g.c, g.o) <= winogradBatchedFloats
    }

    /// Runs `body(k)` for every tile position, spread over `threads` threads, with BLAS (where a
    /// product still uses it) single-threaded inside (positions are independent: each writes only
    /// its own matrices).
    static func forEachPosition(_ count: Int, threads: Int, _ body: (Int) -> Void) {
        withBLASPerThread(threads) {
            forEachSampleChunk(count, threads: threads, chunk: 1) { _, positions in
                for k in positions { body(k) }
            }
        }
    }

    // MARK: Forward

    /// The forward pass; in training it leaves V of the whole batch at the start of the scratch
    /// for the backward pass.
    func winogradBatchedForward(_ input: Tensor, _ g: WinogradGeometry, u: [Float], training: Bool, applyingReLU: Bool,
                                pooling2x2: Bool) -> Tensor {
        let n = input.shape[0], o = outChannels, t = n * g.tiles
        let threads = Swift.max(1, Swift.min(Threading.count, n))
        // (Phase 2 always splits positions, so BLAS runs single-threaded even for one sample.)
        let positionThreads = Swift.max(1, Swift.min(Threading.count, g.positions))
        let (pooledH, pooledW) = (g.h / 2, g.w / 2)
        let outputPlane = pooling2x2 ? pooledH * pooledW : g.p
        // The batch's V and M, then per thread: the padded sample, the pixel-major output and its pooled copy.
        let vCount = g.positions * t * g.c, mCount = g.positions * t * o
        let tileCount = g.p * o, pooledCount = pooling2x2 ? outputPlane * o : 0
        let perThread = g.paddedCount + tileCount + pooledCount
        let state = direct
        // In training, room for the backward pass's per-thread buffers too, so that V stays put.
        let backwardPerThread = g.paddedCount + 2 * g.p * o
        var scratch = Conv2D.take(&state.scratch, vCount + mCount + threads * (training ? Swift.max(perThread, backwardPerThread) : perThread))
        let biasValues = bias?.value.scalars
        let y = Tensor(shape: pooling2x2 ? [n, o, pooledH, pooledW] : outputShape(for: input.shape)) { yp in
            input.withUnsafeBufferPointer { xp in
                u.withUnsafeBufferPointer { up in
                    scratch.withUnsafeMutableBufferPointer { sp in
                        (biasValues ?? []).withUnsafeBufferPointer { bp in
                            // Safe: every phase's threads write disjoint samples or positions.
                            let v = sp.baseAddress!, m = v + vCount, own = m + mCount
                            let box = UncheckedSendableBox((xp.baseAddress!, up.baseAddress!, v, m, own, yp.baseAddress!,
                                                            biasValues == nil ? nil : bp.baseAddress))
                            for thread in 0..<threads { (own + thread * perThread).update(repeating: 0, count: g.paddedCount) }
                            Conv2D.forEachSampleChunk(n, threads: threads) { thread, samples in
                                let (x, _, v, _, own, _, _) = box.value
                                let padded = own + thread * perThread
                                for sample in samples {
                                    g.transformSample(x + sample * g.c * g.p, padded: padded, into: v + sample * g.tiles * g.c,
                                                      kStride: t * g.c)
                                }
                            }
                            Conv2D.forEachPosition(g.positions, threads: positionThreads) { k in
                                let (_, u, v, m, _, _, _) = box.value
                                g.product(v + k * t * g.c, u + k * g.c * o, rows: t, into: m + k * t * o)
                            }
                            Conv2D.forEachSampleChunk(n, threads: threads) { thread, samples in
                                let (_, _, _, m, own, y, bias) = box.value
                                let tile = own + thread * perThread + g.paddedCount, pooled = tile + tileCount
                                for sample in samples {
                                    let out = y + sample * o * outputPlane
                                    if pooling2x2 {
                                        g.outputTransform(m + sample * g.tiles * o, kStride: t * o, channels: o, into: tile)
                                        lepton_pool2x2_pixel_major(tile, Int32(g.h), Int32(g.w), Int32(o), pooled)
                                        lepton_transpose(pooled, o, Int32(outputPlane), Int32(o), out, outputPlane, bias,
                                                         applyingReLU ? 1 : 0)
                                    } else {
                                        g.writeOutput(m + sample * g.tiles * o, kStride: t * o, tile: tile, into: out, bias: bias,
                                                      relu: applyingReLU)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        state.scratch = scratch
        state.scratchHoldsTransformedInput = training ? (g.m, input) : nil
        return y
    }

    // MARK: Backward

    /// ∂L/∂W, ∂L/∂b and (when `inputGradient`) ∂L/∂x; returns ∂L/∂x or nil, and sets the
    /// parameter gradients. With `transformedInputKept`, the scratch already begins with this
    /// input's V (left there by the training forward pass), which is then not transformed again.
    func winogradBatchedBackward(input x: Tensor, gradient gy: Tensor, _ g: WinogradGeometry, u: [Float], uT: [Float],
                                 inputGradient: Bool, gather: GradientGather, reluOutput: Tensor?,
                                 poolArgmax: [Int32]?, transformedInputKept: Bool) -> Tensor? {
        let n = x.shape[0], o = outChannels, t = n * g.tiles
        let threads = Swift.max(1, Swift.min(Threading.count, n))
        let positionThreads = Swift.max(1, Swift.min(Threading.count, g.positions))
        let hasBias = bias != nil
        // The batch's V (then dV) and dM, then per thread: the padded sample (input, then ∂L/∂x),
        // the gathered gradient (O × P) and its pixel-major transpose (P × O).
        let vCount = g.positions * t * g.c, mCount = g.positions * t * o
        let perThread = g.paddedCount + 2 * g.p * o
        let state = direct
        // (A scratch too small to hold this pass is replaced by a fresh one: then V is not there.)
        let vKept = transformedInputKept && state.scratch.count >= vCount + mCount + threads * perThread
        var scratch = Conv2D.take(&state.scratch, vCount + mCount + threads * perThread)
        let transformedCount = g.positions * g.c * o
        // Every position's product writes its whole dU_k (no accumulation): stale contents never leak.
        var transformedGradient = Conv2D.take(&state.transformedGradient, transformedCount)
        defer { state.transformedGradient = transformedGradient }
        // Per sample Σ ∂L/∂y per channel, added up in sample order afterwards.
        var sampleBias = [Float](repeating: 0, count: hasBias ? n * o : 0)
        var dx = inputGradient ? Tensor(shape: x.shape) { _ in } : Tensor(shape: [1])
        let mask = reluOutput ?? Tensor(shape: [1]), argmax = poolArgmax ?? [0]
        x.withUnsafeBufferPointer { xp in
            gy.withUnsafeBufferPointer { gp in
                mask.withUnsafeBufferPointer { mp in
                    argmax.withUnsafeBufferPointer { ap in
                        u.withUnsafeBufferPointer { up in
                            scratch.withUnsafeMutableBufferPointer { sp in
                                dx.withUnsafeMutableBufferPointer { dxp in
                                    transformedGradient.withUnsafeMutableBufferPointer { dup in
                                        sampleBias.withUnsafeMutableBufferPointer { sbp in
                                            // Safe: every phase's threads write disjoint samples or positions.
                                            let v = sp.baseAddress!, dm = v + vCount, own = dm + mCount
                                            let box = UncheckedSendableBox((
                                                xp.baseAddress!, gp.baseAddress!, mp.baseAddress!, ap.baseAddress!,
                                                up.baseAddress!, v, dm, own, dxp.baseAddress!, dup.baseAddress!,
                                                hasBias ? sbp.baseAddress : nil)) // (an empty array may have an address)
                                            for thread in 0..<threads {
                                                (own + thread * perThread).update(repeating: 0, count: g.paddedCount)
                                            }
                                            Conv2D.forEachSampleChunk(n, threads: threads) { thread, samples in
                                                let (x, gy, relu, arg, _, v, dm, own, _, _, sampleBias) = box.value
                                                let padded = own + thread * perThread, gathered = padded + g.paddedCount
                                                let pixelMajor = gathered + g.p * o
                                                for sample in samples {
                                                    if !vKept {
                                                        g.transformSample(x + sample * g.c * g.p, padded: padded,
                                                                          into: v + sample * g.tiles * g.c, kStride: t * g.c)
                                                    }
                                                    let gs = gather.sample(sample, gradient: gy, reluOutput: relu, argmax: arg,
                                                                           scratch: gathered)
                                                    if let sampleBias { // (zero-filled: each sample adds into its own row)
                                                        g.addBiasGradient(gs, into: sampleBias + sample * o)
                                                    }
                                                    g.transformGradient(gs, pixelMajor: pixelMajor, into: dm + sample * g.tiles * o,
                                                                        kStride: t * o)
                                                }
                                            }
                                            uT.withUnsafeBufferPointer { utp in
                                                let transposed = UncheckedSendableBox(utp.baseAddress!)
                                                Conv2D.forEachPosition(g.positions, threads: positionThreads) { k in
                                                    let (_, _, _, _, u, v, dm, _, _, du, _) = box.value
                                                    g.weightProduct(v + k * t * g.c, dm + k * t * o, rows: t, into: du + k * g.c * o,
                                                                    accumulate: false)
                                                    if inputGradient { // dV_k = dM_k · U_kᵀ, into V_k's place (read above)
                                                        g.inputProduct(dm + k * t * o, u: u + k * g.c * o,
                                                                       uT: transposed.value + k * g.c * o, rows: t, into: v + k * t * g.c)
                                                    }
                                                }
                                            }
                                            guard inputGradient else { return }
                                            Conv2D.forEachSampleChunk(n, threads: threads) { thread, samples in
                                                let (_, _, _, _, _, v, _, own, dx, _, _) = box.value
                                                let padded = own + thread * perThread
                                                for sample in samples {
                                                    padded.update(repeating: 0, count: g.paddedCount)
                                                    g.inputGradientTransform(v + sample * g.tiles * g.c, kStride: t * g.c,
                                                                             channels: g.c, into: padded)
                                                    Conv2D.winogradUnpad(padded, g, into: dx + sample * g.c * g.p)
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
        state.scratch = scratch
        if hasBias {
            var db = [Float](repeating: 0, count: o)
            for sample in 0..<n {
                for oc in 0..<o { db[oc] += sampleBias[sample * o + oc] }
            }
            bias?.gradient = Tensor(db)
        }
        weight.gradient = transformedGradient.withUnsafeBufferPointer { winogradWeightGradient($0.baseAddress!, m: g.m) }
        return inputGradient ? dx : nil
    }
}
