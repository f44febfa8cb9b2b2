/// 2-D max pooling without padding.
///
/// Shapes: input (N, C, H, W) → output (N, C, Ho, Wo), `Ho = (H − k) / stride + 1`.
/// - Forward: `y[n,c,i,j] = max_{u,v < k} x[n, c, i·s + u, j·s + v]`.
/// - Backward: the gradient flows only to the arg-max of each window (first one on ties):
///   `∂L/∂x[n,c,a,b] = Σ_{(i,j): argmax(i,j) = (a,b)} g[n,c,i,j]`.
///
/// The optimized path splits the N·C planes over threads and, in training mode, remembers arg-max
/// offsets (so ``backward(_:)`` follows a `training: true` forward);
/// ``naiveForward(_:)`` / ``naiveBackward(input:outputGradient:)`` are the plain-loop twins.
public final class MaxPool2D: Layer {
    public let kernelSize: Int, stride: Int
    private var inputShape: [Int]?
    /// Per output element, the offset within its input plane of the window's maximum (the
    /// latest training forward pass; empty after inference).
    private(set) var argmax: [Int32] = []
    public func releaseWorkspaces() { argmax = [] }

    public init(kernelSize: Int = 2, stride: Int? = nil) {
        precondition(kernelSize > 0 && (stride ?? kernelSize) > 0, "MaxPool2D: invalid configuration")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    public var summary: String { "MaxPool2D(\(kernelSize)×\(kernelSize), stride \(stride))" }
    public var namedParameters: [(name: String, parameter: Parameter)] { [] }

    /// Output shape for an input shape (N, C, H, W).
    public func outputShape(for s: [Int]) -> [Int] {
        poolOutputShape(s, kernelSize, stride, summary)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let s = outputShape(for: input.shape)
        let planes = s[0] * s[1], (h, w, ho, wo) = (input.shape[2], input.shape[3], s[2], s[3])
        // The arg-max offsets are needed only for a backward pass: inference does not keep them.
        var arg = [Int32](repeating: 0, count: training ? s.reduce(1, *) : 1)
        let k = kernelSize, st = stride
        // Every output element is written below, so the output starts uninitialised.
        let y = Tensor(shape: s) { yp in
            input.withUnsafeBufferPointer { xp in
                arg.withUnsafeMutableBufferPointer { ap in
                    let box = UncheckedSendableBox((xp.baseAddress!, yp.baseAddress!, ap.baseAddress!))
                    parallelFor(planes) { r in
                        let (xb, yb, ab) = box.value
                        for plane in r {
                            let x = xb + plane * h * w
                            if k == 2 && st == 2 {
                                // The common 2×2 / stride-2 window, unrolled (same first-max rule).
                                let yRow = yb + plane * ho * wo, aRow = ab + (training ? plane * ho * wo : 0)
                                for i in 0..<ho {
                                    let top = 2 * i * w, bottom = top + w
                                    for j in 0..<wo {
                                        // All four loads first, then selects (no data-dependent branches).
                                        let a = x[top + 2 * j], b = x[top + 2 * j + 1]
                                        let c = x[bottom + 2 * j], d = x[bottom + 2 * j + 1]
                                        var best = a, bestAt = top + 2 * j
                                        let takeB = b > best
                                        best = takeB ? b : best; bestAt = takeB ? top + 2 * j + 1 : bestAt
                                        let takeC = c > best
                                        best = takeC ? c : best; bestAt = takeC ? bottom + 2 * j : bestAt
                                        let takeD = d > best
                                        best = takeD ? d : best; bestAt = takeD ? bottom + 2 * j + 1 : bestAt
                                        yRow[i * wo + j] = best
                                        if training { aRow[i * wo + j] = Int32(bestAt) }
                                    }
                                }
                                continue
                            }
                            for i in 0..<ho {
                                for j in 0..<wo {
                                    var best = -Float.infinity, bestAt = (i * st) * w + j * st
                                    for u in 0..<k {
                                        let row = (i * st + u) * w + j * st
                                        for v in 0..<k where x[row + v] > best {
                                            best = x[row + v]; bestAt = row + v
                                        }
                                    }
                                    yb[plane * ho * wo + i * wo + j] = best
                                    if training { ab[plane * ho * wo + i * wo + j] = Int32(bestAt) }
                                }
                            }
                        }
                    }
                }
            }
        }
        inputShape = input.shape
        argmax = training ? arg : []
        return y
    }

    /// Takes the state a fused Conv2D → ReLU → max-pool training pass recorded for this layer (the
    /// input's shape and each window's arg-max offset), as its own forward pass would have.
    func adoptFusedTrainingState(inputShape: [Int], argmax: [Int32]) {
        precondition(argmax.count == outputShape(for: inputShape).reduce(1, *), "\(summary): fused arg-max count")
        self.inputShape = inputShape
        self.argmax = argmax
    }

    /// Drops what a training forward pass recorded (the layer ran fused into an inference pass).
    func forgetTrainingState() {
        inputShape = nil
        argmax = []
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let s = cached(inputShape, summary)
        let o = outputShape(for: s)
        precondition(outputGradient.shape == o, "\(summary).backward: gradient \(outputGradient.shape) vs \(o)")
        precondition(argmax.count == outputGradient.count,
                     "\(summary).backward needs a forward pass with training: true (inference keeps no arg-max)")
        let planes = o[0] * o[1], inPlane = s[2] * s[3], outPlane = o[2] * o[3]
        let (h, w, ho, wo) = (s[2], s[3], o[2], o[3])
        let tiled = kernelSize == 2 && stride == 2
        // Every element of dx is written below (tiled windows write all four cells and zero the
        // uncovered last row/column; otherwise each plane is zeroed before the scatter-add).
        return Tensor(shape: s) { dp in
            outputGradient.withUnsafeBufferPointer { gp in
                argmax.withUnsafeBufferPointer { ap in
                    let box = UncheckedSendableBox((dp.baseAddress!, gp.baseAddress!, ap.baseAddress!))
                    parallelFor(planes) { r in
                        let (db, gb, ab) = box.value
                        for plane in r {
                            let d = db + plane * inPlane, g = gb + plane * outPlane, a = ab + plane * outPlane
                            guard tiled else {
                                d.update(repeating: 0, count: inPlane)
                                for q in 0..<outPlane { d[Int(a[q])] += g[q] }
                                continue
                            }
                            // 2×2 / stride 2: the windows do not overlap, so each cell is either
                            // its window's arg-max (gets the gradient) or 0.
                            for i in 0..<ho {
                                let top = 2 * i * w
                                for j in 0..<wo {
                                    let at = Int(a[i * wo + j]), gv = g[i * wo + j]
                                    let p = top + 2 * j
                                    d[p] = at == p ? gv : 0
                                    d[p + 1] = at == p + 1 ? gv : 0
                                    d[p + w] = at == p + w ? gv : 0
                                    d[p + w + 1] = at == p + w + 1 ? gv : 0
                                }
                                if 2 * wo < w {
                                    (d + top + 2 * wo).update(repeating: 0, count: w - 2 * wo)
                                    (d + top + w + 2 * wo).update(repeating: 0, count: w - 2 * wo)
                                }
                            }
                            if 2 * ho < h { (d + 2 * ho * w).update(repeating: 0, count: (h - 2 * ho) * w) }
                        }
                    }
                }
            }
        }
    }

    /// Plain-loop max pooling (the reference twin of ``forward(_:training:)``).
    public func naiveForward(_ x: Tensor) -> Tensor {
        let s = outputShape(for: x.shape)
        var y = Tensor(shape: s)
        for n in 0..<s[0] { for c in 0..<s[1] { for i in 0..<s[2] { for j in 0..<s[3] {
            var best = -Float.infinity
            for u in 0..<kernelSize { for v in 0..<kernelSize {
                best = Swift.max(best, x[n, c, i * stride + u, j * stride + v])
            } }
            y[n, c, i, j] = best
        } } } }
        return y
    }

    /// Plain-loop gradient of max pooling (first arg-max on ties), the twin of ``backward(_:)``.
    public func naiveBackward(input x: Tensor, outputGradient g: Tensor) -> Tensor {
        let s = outputShape(for: x.shape)
        var dx = Tensor(shape: x.shape)
        for n in 0..<s[0] { for c in 0..<s[1] { for i in 0..<s[2] { for j in 0..<s[3] {
            var best = -Float.infinity, bi = i * stride, bj = j * stride
            for u in 0..<kernelSize { for v in 0..<kernelSize where x[n, c, i * stride + u, j * stride + v] > best {
                best = x[n, c, i * stride + u, j * stride + v]; bi = i * stride + u; bj = j * stride + v
            } }
            dx[n, c, bi, bj] += g[n, c, i, j]
        } } } }
        return dx
    }
}

/// 2-D average pooling without padding.
///
/// Shapes: input (N, C, H, W) → output (N, C, Ho, Wo), `Ho = (H − k) / stride + 1`.
/// - Forward: `y[n,c,i,j] = (1/k²) Σ_{u,v < k} x[n, c, i·s + u, j·s + v]`.
/// - Backward: `∂L/∂x[n,c,a,b] = (1/k²) Σ_{windows (i,j) containing (a,b)} g[n,c,i,j]`.
public final class AvgPool2D: Layer {
    public let kernelSize: Int, stride: Int
    private var inputShape: [Int]?

    public init(kernelSize: Int = 2, stride: Int? = nil) {
        precondition(kernelSize > 0 && (stride ?? kernelSize) > 0, "AvgPool2D: invalid configuration")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    public var summary: String { "AvgPool2D(\(kernelSize)×\(kernelSize), stride \(stride))" }
    public var namedParameters: [(name: String, parameter: Parameter)] { [] }

    /// Output shape for an input shape (N, C, H, W).
    public func outputShape(for s: [Int]) -> [Int] {
        poolOutputShape(s, kernelSize, stride, summary)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let s = outputShape(for: input.shape)
        let planes = s[0] * s[1], (h, w, ho, wo) = (input.shape[2], input.shape[3], s[2], s[3])
        let k = kernelSize, st = stride, scale = 1 / Float(k * k)
        var y = Tensor(shape: s)
        input.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                let box = UncheckedSendableBox((xp.baseAddress!, yp.baseAddress!))
                parallelFor(planes) { r in
                    let (xb, yb) = box.value
                    for plane in r {
                        let x = xb + plane * h * w
                        for i in 0..<ho {
                            for j in 0..<wo {
                                var sum: Float = 0
                                for u in 0..<k {
                                    let row = (i * st + u) * w + j * st
                                    for v in 0..<k { sum += x[row + v] }
                                }
                                yb[plane * ho * wo + i * wo + j] = sum * scale
                            }
                        }
                    }
                }
            }
        }
        inputShape = input.shape
        return y
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let s = cached(inputShape, summary)
        let o = outputShape(for: s)
        precondition(outputGradient.shape == o, "\(summary).backward: gradient \(outputGradient.shape) vs \(o)")
        let planes = o[0] * o[1], (h, w, ho, wo) = (s[2], s[3], o[2], o[3])
        let k = kernelSize, st = stride, scale = 1 / Float(k * k)
        var dx = Tensor(shape: s)
        dx.withUnsafeMutableBufferPointer { dp in
            outputGradient.withUnsafeBufferPointer { gp in
                let box = UncheckedSendableBox((dp.baseAddress!, gp.baseAddress!))
                parallelFor(planes) { r in
                    let (db, gb) = box.value
                    for plane in r {
                        let d = db + plane * h * w
                        for i in 0..<ho {
                            for j in 0..<wo {
                                let gv = gb[plane * ho * wo + i * wo + j] * scale
                                for u in 0..<k {
                                    let row = (i * st + u) * w + j * st
                                    for v in 0..<k { d[row + v] += gv }
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }

    /// Plain-loop average pooling (the reference twin of ``forward(_:training:)``).
    public func naiveForward(_ x: Tensor) -> Tensor {
        let s = outputShape(for: x.shape)
        var y = Tensor(shape: s)
        for n in 0..<s[0] { for c in 0..<s[1] { for i in 0..<s[2] { for j in 0..<s[3] {
            var sum = 0.0
            for u in 0..<kernelSize { for v in 0..<kernelSize { sum += Double(x[n, c, i * stride + u, j * stride + v]) } }
            y[n, c, i, j] = Float(sum / Double(kernelSize * kernelSize))
        } } } }
        return y
    }
}

/// Global average pooling: input (N, C, H, W) → output (N, C).
/// - Forward: `y[n,c] = (1/(H·W)) Σ_{i,j} x[n,c,i,j]`.
/// - Backward: `∂L/∂x[n,c,i,j] = g[n,c] / (H·W)`.
public final class GlobalAvgPool: Layer {
    /// Channels first (N, C, H, W) or channels last (N, H, W, C) input; the output is (N, C) either way.
    public let layout: ActivationLayout
    private var inputShape: [Int]?
    public init(layout: ActivationLayout = .channelsFirst) { self.layout = layout }

    /// Drops the recorded input shape (the layer ran fused into an inference pass).
    func forgetInputShape() { inputShape = nil }
    public var summary: String { layout == .channelsLast ? "GlobalAvgPool(channels last)" : "GlobalAvgPool" }
    public var namedParameters: [(name: String, parameter: Parameter)] { [] }

    /// (N, C, area) of an input shape in this layer's layout.
    private func extent(_ s: [Int]) -> (n: Int, c: Int, area: Int) {
        precondition(s.count == 4, "GlobalAvgPool expects \(layout == .channelsLast ? "(N, H, W, C)" : "(N, C, H, W)"), got \(s)")
        return layout == .channelsLast ? (s[0], s[3], s[1] * s[2]) : (s[0], s[1], s[2] * s[3])
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let (n, c, area) = extent(input.shape)
        var y = Tensor(shape: [n, c])
        input.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                if layout == .channelsLast {
                    for i in 0..<n { // pixel by pixel, each channel's sum in pixel order
                        let sums = yp.baseAddress! + i * c
                        for q in 0..<area {
                            let pixel = xp.baseAddress! + (i * area + q) * c
                            for ch in 0..<c { sums[ch] += pixel[ch] }
                        }
                        for ch in 0..<c { sums[ch] /= Float(area) }
                    }
                } else {
                    for plane in 0..<(n * c) {
                        var s: Float = 0
                        for q in 0..<area { s += xp[plane * area + q] }
                        yp[plane] = s / Float(area)
                    }
                }
            }
        }
        inputShape = input.shape
        return y
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let s = cached(inputShape, summary)
        let (n, c, area) = extent(s)
        precondition(outputGradient.shape == [n, c], "GlobalAvgPool.backward: gradient \(outputGradient.shape)")
        var dx = Tensor(shape: s)
        dx.withUnsafeMutableBufferPointer { dp in
            outputGradient.withUnsafeBufferPointer { gp in
                if layout == .channelsLast {
                    for i in 0..<n {
                        for q in 0..<area {
                            for ch in 0..<c { dp[(i * area + q) * c + ch] = gp[i * c + ch] / Float(area) }
                        }
                    }
                } else {
                    for plane in 0..<(n * c) {
                        let v = gp[plane] / Float(area)
                        for q in 0..<area { dp[plane * area + q] = v }
                    }
                }
            }
        }
        return dx
    }
}

func poolOutputShape(_ s: [Int], _ k: Int, _ stride: Int, _ name: String) -> [Int] {
    precondition(s.count == 4, "\(name) expects (N, C, H, W), got \(s)")
    precondition(s[2] >= k && s[3] >= k, "\(name): input \(s) smaller than the window")
    return [s[0], s[1], (s[2] - k) / stride + 1, (s[3] - k) / stride + 1]
}
