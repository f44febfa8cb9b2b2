import ArgumentParser
import Foundation
import LeptonCore

/// `lepton-bench conv-layers`: times one training step (forward, then backward with ∂L/∂x) of
/// each convolution shape of ResNet-18 on 28×28 input (the 1→64 stem, stride-1 3×3, stride-2
/// 3×3, 1×1 shortcuts), on whichever kernels `LEPTON_CONV_KERNELS` selects (`auto`, `winograd`, `direct`,
/// `gemm`), so the paths can be compared layer by layer. GFLOP/s are nominal, 2·N·C·O·k²·Ho·Wo
/// per pass, whatever the algorithm. The layout is channels last by default, as ResNet-18 runs
/// them since 2026-11-24 (figures from before then are `--layout channels-first`; the JSON records
/// it). The stem's backward here includes its ∂L/∂x, which training skips.
struct ConvLayersBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv-layers",
        abstract: "Time forward and backward of ResNet-18's convolutions, one shape at a time.")

    @Option(help: "Samples per batch.")
    var batchSize = 128
    @Option(help: "Threads.")
    var threads = 2
    @Option(help: "Timed rounds per shape (the best is kept).")
    var `repeat` = 5
    @Option(help: "channels-first or channels-last (ResNet-18's).")
    var layout = "channels-last"
    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        Threading.setCount(threads)
        guard let activationLayout = ["channels-first": ActivationLayout.channelsFirst, "channels-last": .channelsLast][layout] else {
            throw ValidationError("--layout must be channels-first or channels-last, got '\(layout)'")
        }
        let last = activationLayout == .channelsLast
        var rows: [[String: Any]] = []
        // (in, out, kernel, stride, input size): the stem, the stride-1 3×3 shapes, then each
        // stage's stride-2 3×3 and 1×1 shortcut.
        let shapes = [(1, 64, 3, 1, 28), (64, 64, 3, 1, 28), (128, 128, 3, 1, 14), (256, 256, 3, 1, 7), (512, 512, 3, 1, 4),
                      (64, 128, 3, 2, 28), (128, 256, 3, 2, 14), (256, 512, 3, 2, 7),
                      (64, 128, 1, 2, 28), (128, 256, 1, 2, 14), (256, 512, 1, 2, 7)]
        for (inChannels, channels, kernel, stride, inputSize) in shapes {
            var rng = SeededGenerator(seed: 1)
            let conv = Conv2D(inChannels, channels, kernelSize: kernel, stride: stride, padding: kernel / 2, bias: false,
                              layout: activationLayout, using: &rng)
            let size = (inputSize + 2 * (kernel / 2) - kernel) / stride + 1
            let x = Tensor.normal(last ? [batchSize, inputSize, inputSize, inChannels] : [batchSize, inChannels, inputSize, inputSize],
                                  using: &rng)
            let g = Tensor.normal(last ? [batchSize, size, size, channels] : [batchSize, channels, size, size], using: &rng)
            var forward = Double.infinity, backward = Double.infinity
            for _ in 0..<max(1, `repeat`) {
                let (_, tf) = secondsTaken { _ = conv.forward(x, training: true) }
                let (_, tb) = secondsTaken { _ = conv.backward(g) }
                forward = min(forward, tf)
                backward = min(backward, tb)
            }
            let flops = 2.0 * Double(batchSize * inChannels * channels * kernel * kernel * size * size)
            let name = "\(inChannels)→\(channels) \(kernel)×\(kernel)/\(stride) \(inputSize)×\(inputSize)"
            rows.append(["shape": name, "forward_ms": forward * 1000,
                         "backward_ms": backward * 1000, "forward_gflops": flops / forward / 1e9,
                         "backward_gflops": 2 * flops / backward / 1e9])
        }
        let report: [String: Any] = ["tool": "lepton", "conv_kernels": Conv2D.kernels, "layout": layout, "batch_size": batchSize,
                                     "threads": threads, "layers": rows]
        if json {
            printJSON(report)
        } else {
            print("kernels \(Conv2D.kernels), \(layout), batch \(batchSize), \(threads) threads")
            for row in rows {
                print(String(format: "%-26@ forward %7.2f ms (%5.0f GFLOP/s)  backward %7.2f ms (%5.0f GFLOP/s)",
                             row["shape"] as! String, row["forward_ms"] as! Double, row["forward_gflops"] as! Double,
                             row["backward_ms"] as! Double, row["backward_gflops"] as! Double))
            }
        }
    }
}
