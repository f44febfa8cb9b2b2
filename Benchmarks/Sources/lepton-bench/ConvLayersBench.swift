import ArgumentParser
import Foundation
import LeptonCore

/// `lepton-bench conv-layers`: times one training step (forward, then backward with ∂L/∂x) of
/// each stride-1 3×3 convolution shape of ResNet-18 on 28×28 input, on whichever kernels
/// `LEPTON_CONV_KERNELS` selects (`auto`, `winograd`, `direct`, `gemm`), so the paths can be
/// compared layer by layer. GFLOP/s are nominal: 2·N·C·O·9·H·W per pass, whatever the algorithm.
struct ConvLayersBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv-layers",
        abstract: "Time forward and backward of ResNet-18's stride-1 3×3 convolutions, one shape at a time.")

    @Option(help: "Samples per batch.")
    var batchSize = 128
    @Option(help: "Threads.")
    var threads = 2
    @Option(help: "Timed rounds per shape (the best is kept).")
    var `repeat` = 5
    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        Threading.setCount(threads)
        var rows: [[String: Any]] = []
        for (channels, size) in [(64, 28), (128, 14), (256, 7), (512, 4)] {
            var rng = SeededGenerator(seed: 1)
            let conv = Conv2D(channels, channels, kernelSize: 3, padding: 1, bias: false, using: &rng)
            let x = Tensor.normal([batchSize, channels, size, size], using: &rng)
            let g = Tensor.normal([batchSize, channels, size, size], using: &rng)
            var forward = Double.infinity, backward = Double.infinity
            for _ in 0..<max(1, `repeat`) {
                let (_, tf) = secondsTaken { _ = conv.forward(x, training: true) }
                let (_, tb) = secondsTaken { _ = conv.backward(g) }
                forward = min(forward, tf)
                backward = min(backward, tb)
            }
            let flops = 2.0 * Double(batchSize * channels * channels * 9 * size * size)
            rows.append(["shape": "\(channels)→\(channels) \(size)×\(size)", "forward_ms": forward * 1000,
                         "backward_ms": backward * 1000, "forward_gflops": flops / forward / 1e9,
                         "backward_gflops": 2 * flops / backward / 1e9])
        }
        let report: [String: Any] = ["tool": "lepton", "conv_kernels": Conv2D.kernels, "batch_size": batchSize,
                                     "threads": threads, "layers": rows]
        if json {
            printJSON(report)
        } else {
            print("kernels \(Conv2D.kernels), batch \(batchSize), \(threads) threads")
            for row in rows {
                print(String(format: "%@  forward %7.2f ms (%5.0f GFLOP/s)  backward %7.2f ms (%5.0f GFLOP/s)",
                             row["shape"] as! String, row["forward_ms"] as! Double, row["forward_gflops"] as! Double,
                             row["backward_ms"] as! Double, row["backward_gflops"] as! Double))
            }
        }
    }
}
