import Dispatch

/// A dense matrix of features for linear models: `rows × columns` Double values, row-major.
public struct DesignMatrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    /// `values[i * columns + j]` is feature j of row i.
    public let values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "DesignMatrix: \(values.count) values for \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// From one array per column (all the same length).
    public init(columns data: [[Double]]) {
        let n = data.first?.count ?? 0
        precondition(data.allSatisfy { $0.count == n }, "DesignMatrix: columns of different lengths")
        var values = [Double](repeating: 0, count: n * data.count)
        for (j, column) in data.enumerated() {
            for i in 0..<n { values[i * data.count + j] = column[i] }
        }
        self.init(rows: n, columns: data.count, values: values)
    }

    /// Row `i` as an array (for tests and small uses).
    public func row(_ i: Int) -> [Double] { Array(values[(i * columns)..<((i + 1) * columns)]) }

    /// Column means and standard deviations (population, weighted by `weights`); a constant
    /// column gets standard deviation 1 so that scaling by it is harmless.
    func weightedMoments(weights: [Double]) -> (mean: [Double], scale: [Double]) {
        let p = columns
        var sum = [Double](repeating: 0, count: p)
        var totalWeight = 0.0
        values.withUnsafeBufferPointer { x in
            for i in 0..<rows {
                let w = weights[i]
                totalWeight += w
                for j in 0..<p { sum[j] += w * x[i * p + j] }
            }
        }
        let mean = sum.map { $0 / max(totalWeight, .leastNormalMagnitude) }
        var squares = [Double](repeating: 0, count: p)
        values.withUnsafeBufferPointer { x in
            for i in 0..<rows {
                let w = weights[i]
                for j in 0..<p {
                    let d = x[i * p + j] - mean[j]
                    squares[j] += w * d * d
                }
            }
        }
        let scale = squares.map { s -> Double in
            let sd = (s / max(totalWeight, .leastNormalMagnitude)).squareRoot()
            return sd > 1e-12 ? sd : 1
        }
        return (mean, scale)
    }
}

/// Runs `body(block, rows)` over `blocks` contiguous row blocks concurrently; returns when all
/// are done. Blocks are fixed by `rows` and `blocks` alone, so per-block partial sums combined
/// in block order give the same result on every run.
func forEachRowBlock(rows: Int, blocks: Int, _ body: (Int, Range<Int>) -> Void) {
    let blocks = max(1, min(blocks, rows / 4096 + 1))
    let size = (rows + blocks - 1) / blocks
    if blocks == 1 {
        body(0, 0..<rows)
        return
    }
    withoutActuallyEscaping(body) { escapable in
        // Safe: concurrentPerform returns only when every block is done; blocks write disjoint slots.
        let box = UncheckedSendableBox(escapable)
        DispatchQueue.concurrentPerform(iterations: blocks) { b in
            let lo = b * size
            box.value(b, lo..<min(rows, lo + size))
        }
    }
}
