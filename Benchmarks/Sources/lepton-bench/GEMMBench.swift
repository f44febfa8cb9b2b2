import ArgumentParser
import COpenBLAS
import Foundation
import LeptonCore

/// `lepton-bench gemm`: LeptonCore's BLAS funnel (`BLAS.gemm`) against `cblas_sgemm` called
/// directly, on the same buffers, alternating, so the funnel's own overhead is what differs.
struct GEMMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "Compare BLAS.gemm (the LeptonCore funnel) with cblas_sgemm called directly.",
        discussion: """
            Shapes: square n×n×n for each --sizes entry, plus the three convolution GEMMs of a \
            cnn-small forward pass at batch 128 (m = out channels, n = 128·H·W, k = in channels·9). \
            Each shape runs funnel and direct alternately --repeat times; the best of each is kept.
            """)

    @Option(help: "Square sizes, comma-separated.")
    var sizes = "128,256,512,1024"
    @Option(help: "Threads for OpenBLAS.")
    var threads = 2
    @Option(help: "Alternating timed rounds per shape (short rounds, many of them: the best of each side is kept, which filters out other work on a shared machine).")
    var `repeat` = 15
    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        Threading.setCount(threads)
        var shapes = sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            .map { (name: "\($0)³", m: $0, n: $0, k: $0) }
        shapes += [("conv1 16×100352×9", 16, 128 * 784, 9), ("conv2 32×25088×144", 32, 128 * 196, 144),
                   ("conv3 64×6272×288", 64, 128 * 49, 288)]
        var rows: [[String: Any]] = []
        var funnelTotal = 0.0, directTotal = 0.0
        for s in shapes {
            var rng = SeededGenerator(seed: 1)
            let a = (0..<(s.m * s.k)).map { _ in rng.nextUniform() - 0.5 }
            let b = (0..<(s.k * s.n)).map { _ in rng.nextUniform() - 0.5 }
            var c1 = [Float](repeating: 0, count: s.m * s.n), c2 = c1
            let flops = 2.0 * Double(s.m) * Double(s.n) * Double(s.k)
            // Enough calls per timing for ~20 ms at 50 GFLOP/s.
            let calls = max(1, Int(1e9 / flops))
            var funnel = Double.infinity, direct = Double.infinity
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c1.withUnsafeMutableBufferPointer { pc1 in
                        c2.withUnsafeMutableBufferPointer { pc2 in
                            for _ in 0..<max(1, `repeat`) {
                                let (_, t1) = secondsTaken {
                                    for _ in 0..<calls {
                                        BLAS.gemm(.none, .none, m: s.m, n: s.n, k: s.k, a: pa.baseAddress!,
                                                  b: pb.baseAddress!, c: pc1.baseAddress!)
                                    }
                                }
                                let (_, t2) = secondsTaken {
                                    for _ in 0..<calls {
                                        // The same output buffer as the funnel's: where C sits
                                        // relative to A and B changes the memory-bound shapes' speed.
                                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(s.m), Int32(s.n),
                                                    Int32(s.k), 1, pa.baseAddress!, Int32(s.k), pb.baseAddress!,
                                                    Int32(s.n), 0, pc1.baseAddress!, Int32(s.n))
                                    }
                                }
                                funnel = min(funnel, t1 / Double(calls))
                                direct = min(direct, t2 / Double(calls))
                            }
                            BLAS.gemm(.none, .none, m: s.m, n: s.n, k: s.k, a: pa.baseAddress!, b: pb.baseAddress!,
                                      c: pc1.baseAddress!)
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(s.m), Int32(s.n), Int32(s.k), 1,
                                        pa.baseAddress!, Int32(s.k), pb.baseAddress!, Int32(s.n), 0, pc2.baseAddress!, Int32(s.n))
                        }
                    }
                }
            }
            precondition(c1 == c2, "gemm bench: funnel and direct results differ")
            funnelTotal += funnel
            directTotal += direct
            rows.append(["shape": s.name, "funnel_gflops": flops / funnel / 1e9, "direct_gflops": flops / direct / 1e9,
                         "ratio": direct / funnel])
            if !json {
                print(s.name.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "funnel %6.1f GFLOP/s, direct cblas_sgemm %6.1f GFLOP/s, ratio %.3f",
                             flops / funnel / 1e9, flops / direct / 1e9, direct / funnel))
            }
        }
        // The summary ratio weights every shape equally (geometric mean of direct/funnel time).
        let geometric = Foundation.exp(rows.map { Foundation.log($0["ratio"] as! Double) }.reduce(0, +) / Double(rows.count))
        if json {
            printJSON(["tool": "lepton", "threads": threads, "shapes": rows, "ratio": geometric, "blas_kernels": BLAS.kernels,
                       "funnel_seconds": funnelTotal, "direct_seconds": directTotal])
        } else {
            print(String(format: "geometric-mean ratio (direct time / funnel time): %.3f", geometric))
            print("OpenBLAS kernels: \(BLAS.kernels)")
        }
    }
}
