import CLeptonKernels

/// The channels-last passes of ``BatchNorm`` (input (N, H, W, C)): the same formulas, on rows of
/// C channels (CLeptonKernels/channels_last.c). Each sample's per-channel sums are taken row by
/// row in float, over the threads one sample at a time, and the samples' sums added in double in
/// sample order — so the thread count never changes a bit. Tests hold these passes to the
/// channels-first layer on the transposed tensors (which is itself held to the double-precision
/// twins of BatchNorm+Naive.swift).
extension BatchNorm {
    /// Per-channel `Σ_rows` of one sample, for every sample (N × C floats), by `kernel`.
    private func perSampleSums(_ x: Tensor, samples n: Int, area: Int,
                               _ kernel: @escaping @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        let c = channels
        return [Float](unsafeUninitializedCapacity: n * c) { sums, count in
            x.withUnsafeBufferPointer { xp in
                let box = UncheckedSendableBox((xp.baseAddress!, sums.baseAddress!))
                parallelFor(n) { r in
                    for i in r { kernel(box.value.0 + i * area * c, box.value.1 + i * c) }
                }
            }
            count = n * c
        }
    }

    /// The batch mean and (biased) variance per channel: two passes, as channels first.
    func channelsLastStatistics(_ x: Tensor, samples n: Int, area: Int) -> (mean: [Float], variance: [Float]) {
        let c = channels, m = Double(n * area)
        let sums = perSampleSums(x, samples: n, area: area) { lepton_rows_column_sums($0, area, Int32(c), $1) }
        let mean = BatchNorm.addSamples(sums, samples: n, channels: c).map { Float($0 / m) }
        let squares = perSampleSums(x, samples: n, area: area) { lepton_rows_squared_deviations($0, area, Int32(c), mean, $1) }
        let variance = BatchNorm.addSamples(squares, samples: n, channels: c).map { Float($0 / m) }
        return (mean, variance)
    }

    /// `Σ_samples sums[sample][c]` in double, in sample order.
    private static func addSamples(_ sums: [Float], samples n: Int, channels c: Int) -> [Double] {
        var total = [Double](repeating: 0, count: c)
        for i in 0..<n {
            for ch in 0..<c { total[ch] += Double(sums[i * c + ch]) }
        }
        return total
    }

    /// `y = (x − mean)·scale + shift` per channel, then the ReLU when fused.
    func channelsLastNormalize(_ x: Tensor, rows: Int, mean: [Float], scale: [Float], shift: [Float], relu: Bool) -> Tensor {
        let c = channels
        return Tensor(shape: x.shape) { yp in
            x.withUnsafeBufferPointer { xp in
                guard rows > 0 else { return }
                let box = UncheckedSendableBox((xp.baseAddress!, yp.baseAddress!))
                parallelFor(rows, minimumPerThread: 1024) { r in
                    let (x, y) = box.value
                    lepton_rows_normalize(x + r.lowerBound * c, r.count, Int32(c), mean, scale, shift, relu ? 1 : 0,
                                          y + r.lowerBound * c)
                }
            }
        }
    }

    /// Backward: sets ∂L/∂γ and ∂L/∂β and returns ∂L/∂x, the gradient taken through the fused
    /// ReLU's recomputed mask (`relu`) or the ReLU's output (`mask`) when given.
    func channelsLastBackward(_ gy: Tensor, input x: Tensor, samples n: Int, area: Int,
                              relu: (scale: [Float], shift: [Float])?, mask: Tensor?) -> Tensor {
        let c = channels, m = Float(n * area), rows = n * area
        let mean = batchMean, invStd = inverseStd
        let maskTensor = mask ?? Tensor(shape: [1])
        var perSample = [Float](repeating: 0, count: 2 * n * c)
        gy.withUnsafeBufferPointer { gp in
            x.withUnsafeBufferPointer { xp in
                maskTensor.withUnsafeBufferPointer { mp in
                    perSample.withUnsafeMutableBufferPointer { pp in
                        let box = UncheckedSendableBox((gp.baseAddress!, xp.baseAddress!, mask == nil ? nil : mp.baseAddress,
                                                        pp.baseAddress!))
                        parallelFor(n) { r in
                            let (g, x, y, sums) = box.value
                            for i in r {
                                let offset = i * area * c
                                lepton_rows_gradient_sums(g + offset, x + offset, y.map { $0 + offset }, relu?.scale, relu?.shift,
                                                          area, Int32(c), mean, sums + i * c, sums + (n + i) * c)
                            }
                        }
                    }
                }
            }
        }
        let sumG = BatchNorm.addSamples(Array(perSample[0..<(n * c)]), samples: n, channels: c).map { Float($0) }
        let sumGD = BatchNorm.addSamples(Array(perSample[(n * c)...]), samples: n, channels: c).map { Float($0) }
        let sumGX = (0..<c).map { sumGD[$0] * invStd[$0] }
        bias.gradient = Tensor(sumG)
        weight.gradient = Tensor(sumGX)
        let gamma = weight.value.scalars
        // Training: ∂L/∂x = k·(M·g − Σg − (x − μ)·slope), k = γ/(M√(σ² + ε)), slope = Σg·x̂/√(σ² + ε);
        // inference: g·k, k = γ/√(r_var + ε).
        let training = trainingMode
        let k = (0..<c).map { training ? gamma[$0] * invStd[$0] / m : gamma[$0] * invStd[$0] }
        let slope = (0..<c).map { sumGX[$0] * invStd[$0] }
        return Tensor(shape: x.shape) { dp in
            gy.withUnsafeBufferPointer { gp in
                x.withUnsafeBufferPointer { xp in
                    maskTensor.withUnsafeBufferPointer { mp in
                        guard rows > 0 else { return }
                        let box = UncheckedSendableBox((dp.baseAddress!, gp.baseAddress!, xp.baseAddress!,
                                                        mask == nil ? nil : mp.baseAddress))
                        parallelFor(rows, minimumPerThread: 1024) { r in
                            let (dx, g, x, y) = box.value
                            let at = r.lowerBound * c
                            lepton_rows_batchnorm_input_gradient(g + at, x + at, y.map { $0 + at }, relu?.scale, relu?.shift,
                                                                 r.count, Int32(c), mean, k, training ? 1 : 0, m, sumG, slope,
                                                                 dx + at)
                        }
                    }
                }
            }
        }
    }
}
