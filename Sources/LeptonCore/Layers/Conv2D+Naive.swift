/// The naive twins of ``Conv2D``: direct loops the im2col + GEMM path and the direct kernels
/// are tested against.
extension Conv2D {
    /// A channels-first layer with this layer's weights and bias: a channels-last layer's twins
    /// run on it, on the transposed tensors.
    func channelsFirstTwin() -> Conv2D {
        var rng = SeededGenerator(seed: 0)
        let twin = Conv2D(inChannels, outChannels, kernelSize: kernelHeight, stride: stride, padding: padding,
                          bias: bias != nil, using: &rng)
        twin.weight.value = weight.value
        if let bias { twin.bias!.value = bias.value }
        return twin
    }

    /// Direct seven-loop convolution (Double accumulation); the reference for ``forward(_:training:)``
    /// (channels last: on the transposed input, the result transposed back).
    public func naiveForward(_ x: Tensor) -> Tensor {
        if layout == .channelsLast { return channelsFirstTwin().naiveForward(x.channelsFirstCopy()).channelsLastCopy() }
        let s = outputShape(for: x.shape)
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var y = Tensor(shape: s)
        let wt = weight.value
        for ni in 0..<n {
            for oc in 0..<outChannels {
                for oy in 0..<s[2] {
                    for ox in 0..<s[3] {
                        var sum = Double(bias?.value[flat: oc] ?? 0)
                        for ci in 0..<c {
                            for u in 0..<kernelHeight {
                                for v in 0..<kernelWidth {
                                    let iy = oy * stride - padding + u, ix = ox * stride - padding + v
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    sum += Double(wt[oc, ci, u, v]) * Double(x[ni, ci, iy, ix])
                                }
                            }
                        }
                        y[ni, oc, oy, ox] = Float(sum)
                    }
                }
            }
        }
        return y
    }

    /// Direct-loop gradients (∂L/∂x, ∂L/∂W, ∂L/∂b) for input `x` and ∂L/∂y `gy`; the reference for
    /// ``backward(_:)``. Does not touch the layer's parameters.
    public func naiveBackward(input x: Tensor, outputGradient gy: Tensor) -> (input: Tensor, weight: Tensor, bias: Tensor) {
        if layout == .channelsLast {
            let twin = channelsFirstTwin().naiveBackward(input: x.channelsFirstCopy(), outputGradient: gy.channelsFirstCopy())
            return (twin.input.channelsLastCopy(), twin.weight, twin.bias)
        }
        let s = outputShape(for: x.shape)
        precondition(gy.shape == s, "naiveBackward: gradient \(gy.shape) vs \(s)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var dx = Tensor(shape: x.shape), dw = Tensor(shape: weight.value.shape), db = Tensor(shape: [outChannels])
        let wt = weight.value
        for ni in 0..<n {
            for oc in 0..<outChannels {
                for oy in 0..<s[2] {
                    for ox in 0..<s[3] {
                        let gv = gy[ni, oc, oy, ox]
                        db[oc] += gv
                        for ci in 0..<c {
                            for u in 0..<kernelHeight {
                                for v in 0..<kernelWidth {
                                    let iy = oy * stride - padding + u, ix = ox * stride - padding + v
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    dw[oc, ci, u, v] += gv * x[ni, ci, iy, ix]
                                    dx[ni, ci, iy, ix] += gv * wt[oc, ci, u, v]
                                }
                            }
                        }
                    }
                }
            }
        }
        return (dx, dw, db)
    }
}
