internal import CLeptonIntrinsics

/// One histogram cell (stage 2 of histogram boosting): over the node's rows i whose bin for this
/// feature is this one, `gradient = Σ gᵢ`, `hessian = Σ hᵢ`, `count = #rows`.
struct HistogramBin: Equatable, Sendable {
    var gradient: Double
    var hessian: Double
    var count: Int

    static let zero = HistogramBin(gradient: 0, hessian: 0, count: 0)
}

/// Builds node histograms of every feature at once. A histogram is a flat run of
/// `histogramOffsets[F]` cells; feature j owns cells `offsets[j] ..< offsets[j+1]`.
///
/// The work of a node is cut into tasks by a plan that depends only on the row count
/// (``plan(rows:)``): a node's rows are split into 2 chunks (from 4,096 rows) or 4 (from
/// 65,536), each accumulated into its own buffer and summed in chunk order (LightGBM's
/// scheme); a small node is split by features instead (each task takes every row for half of
/// the features: both gather the same rows, which only pays where the chunks' buffers would
/// cost more to clear and sum), which leaves every cell summed in plain row order, exactly
/// as the naive twin. Either way the result is bit-identical for any thread count. Together with the subtraction trick
/// (`larger child = parent − smaller child`, ``subtract(_:from:)``) this is LightGBM's scheme.
final class HistogramBuilder: @unchecked Sendable {
    let size: Int
    let featureCount: Int
    let threads: Int
    private let offsets: UnsafeMutablePointer<Int32>
    /// Three scratch histograms for chunks 1…3.
    private let scratch: UnsafeMutablePointer<HistogramBin>
    /// Per task: a block of gathered bin rows and of derivatives widened to Double.
    private let gatherBins: UnsafeMutablePointer<UInt64>
    private let wideDerivatives: UnsafeMutablePointer<SIMD2<Double>>
    /// Per task: the working histogram in a compact form, (gradient, hessian) pairs of
    /// 16 bytes and separate 4-byte counts, converted to ``HistogramBin`` at the end.
    private let sums: UnsafeMutablePointer<SIMD2<Double>>
    private let counts: UnsafeMutablePointer<UInt32>
    /// Rows per gathered block: the block's bins (`block × rowStride` bytes), its derivatives
    /// and one feature's cells fit in L1 together.
    static let block = 256
    static let maxTasks = 4
    let rowStride: Int

    init(histogramOffsets: [Int], rowStride: Int, threads: Int) {
        precondition(rowStride % 8 == 0, "row stride must be a multiple of 8")
        self.rowStride = rowStride
        gatherBins = .allocate(capacity: HistogramBuilder.maxTasks * HistogramBuilder.block * rowStride / 8 + 1)
        wideDerivatives = .allocate(capacity: HistogramBuilder.maxTasks * HistogramBuilder.block)
        sums = .allocate(capacity: HistogramBuilder.maxTasks * max(1, histogramOffsets.last!))
        counts = .allocate(capacity: HistogramBuilder.maxTasks * max(1, histogramOffsets.last!))
        featureCount = histogramOffsets.count - 1
        size = histogramOffsets.last!
        self.threads = max(1, threads)
        offsets = .allocate(capacity: max(1, featureCount + 1))
        for j in 0...featureCount { offsets[j] = Int32(histogramOffsets[j]) }
        scratch = .allocate(capacity: max(1, 3 * size))
        scratch.initialize(repeating: .zero, count: max(1, 3 * size))
    }

    deinit {
        offsets.deallocate()
        scratch.deallocate()
        gatherBins.deallocate()
        wideDerivatives.deallocate()
        sums.deallocate()
        counts.deallocate()
    }

    /// How a node of `rows` rows is cut (a function of the row count only): `rowChunks`
    /// chunks of rows, each split into `featureParts` runs of features; one task per pair.
    static func plan(rows: Int) -> (rowChunks: Int, featureParts: Int) {
        rows < 4_096 ? (1, rows < 1_024 ? 1 : 2) : (rows < 65_536 ? 2 : 4, 1)
    }

    /// Fills `hist` (``size`` cells) with the histogram of `rows`.
    /// - Parameters:
    ///   - rows: the node's row numbers (any order; the grower passes them ascending).
    ///   - bins: row-major bins, `rowCount × rowStride` (8-byte aligned).
    ///   - derivatives: the rows' (gradient, hessian) pairs **in the order of `rows`**
    ///     (`derivatives[k]` belongs to `rows[k]`: LightGBM's ordered gradients, kept in node
    ///     order by the grower's partition so the hot loop reads them sequentially).
    func build(rows: UnsafeBufferPointer<Int32>, bins: UnsafePointer<UInt8>, derivatives: UnsafePointer<SIMD2<Float>>,
               into hist: UnsafeMutablePointer<HistogramBin>) {
        let m = rows.count
        let (chunks, parts) = HistogramBuilder.plan(rows: m)
        let per = (m + chunks - 1) / chunks
        let f = featureCount, size = self.size, stride = rowStride
        let box = UncheckedSendableBox((rows, bins, derivatives, hist, scratch, offsets, gatherBins, wideDerivatives,
                                        sums, counts))
        parallelTasks(chunks * parts, threads: threads) { task in
            let (rows, bins, d, hist, scratch, offsets, gb, wd, sums, counts) = box.value
            let c = task / parts, p = task % parts
            let j0 = p * f / parts, j1 = (p + 1) * f / parts
            let words = stride / 8, block = HistogramBuilder.block
            let target = c == 0 ? hist : scratch + (c - 1) * size
            let cells = Int(offsets[j0])..<Int(offsets[j1])
            let gh = sums + task * size, n = counts + task * size
            (gh + cells.lowerBound).update(repeating: .zero, count: cells.count)
            (n + cells.lowerBound).update(repeating: 0, count: cells.count)
            let lo = c * per, hi = min(m, lo + per)
            if lo < hi {
                HistogramBuilder.accumulate(rows: rows.baseAddress! + lo, count: hi - lo, bins: bins, rowStride: stride,
                                            features: j0..<j1, offsets: offsets, derivatives: d + lo,
                                            gatherBins: gb + task * block * words, wide: wd + task * block,
                                            sums: gh, counts: n)
            }
            for k in cells { target[k] = HistogramBin(gradient: gh[k].x, hessian: gh[k].y, count: Int(n[k])) }
        }
        for c in 1..<max(1, chunks) {
            let s = scratch + (c - 1) * size
            for k in 0..<size {
                hist[k].gradient += s[k].gradient
                hist[k].hessian += s[k].hessian
                hist[k].count &+= s[k].count
            }
        }
    }

    /// The hot loop, in blocks of ``block`` rows. First gather the block's bin rows into a
    /// small contiguous buffer (prefetched one block ahead, so the misses overlap the previous
    /// block's accumulation; a run of consecutive rows is read in place), widen its
    /// derivatives to Double, then accumulate **feature by feature** over the block into the
    /// task's compact cells (16-byte gradient/hessian pairs, 4-byte counts): one feature's
    /// cells (about 5 KB) stay in L1 for the whole block, where a row-by-row pass
    /// would touch every feature's cells for each row and keep the whole histogram streaming
    /// through L2. Each cell still receives its rows' values in row order.
    @inline(never)
    static func accumulate(rows: UnsafePointer<Int32>, count: Int, bins: UnsafePointer<UInt8>, rowStride: Int,
                           features: Range<Int>, offsets: UnsafePointer<Int32>, derivatives: UnsafePointer<SIMD2<Float>>,
                           gatherBins: UnsafeMutablePointer<UInt64>, wide: UnsafeMutablePointer<SIMD2<Double>>,
                           sums: UnsafeMutablePointer<SIMD2<Double>>, counts: UnsafeMutablePointer<UInt32>) {
        let words = rowStride / 8
        // Safe: the bins array is 8-byte aligned and rows start at multiples of 8 bytes.
        let binWords = UnsafeRawPointer(bins).assumingMemoryBound(to: UInt64.self)
        let gathered = UnsafeRawPointer(gatherBins).assumingMemoryBound(to: UInt8.self)
        // Prefetch the first block's rows.
        for k in 0..<min(block, count) { lepton_prefetch(binWords + Int(rows[k]) &* words) }
        var start = 0
        while start < count {
            let m = min(block, count - start)
            let next = start &+ m, nextCount = min(block, count &- next)
            let first = Int(rows[start])
            var consecutive = true
            for k in 1..<m where Int(rows[start &+ k]) != first &+ k { consecutive = false; break }
            let local: UnsafePointer<UInt8>
            if consecutive {
                local = bins + first &* rowStride
            } else {
                for k in 0..<m {
                    let r = Int(rows[start &+ k])
                    let src = binWords + r &* words, dst = gatherBins + k &* words
                    for w in 0..<words { dst[w] = src[w] }
                }
                local = gathered
            }
            for k in 0..<m {
                let gh = derivatives[start &+ k]
                wide[k] = SIMD2(Double(gh.x), Double(gh.y))
            }
            let nf = features.count
            for j in features {
                // Ask for a slice of the next block's rows, so they arrive while this block is
                // accumulated (spread over the features: a burst would overflow the miss queue).
                let p = j &- features.lowerBound
                for k in (p &* nextCount / nf)..<((p &+ 1) &* nextCount / nf) {
                    lepton_prefetch(binWords + Int(rows[next &+ k]) &* words)
                }
                let h = sums + Int(offsets[j]), n = counts + Int(offsets[j])
                var b = local + j
                for k in 0..<m {
                    let bin = Int(b.pointee)
                    h[bin] += wide[k]
                    n[bin] &+= 1
                    b += rowStride
                }
            }
            start = next
        }
    }

    /// `parent ← parent − child`, cell by cell: the sibling's histogram without touching its rows.
    static func subtract(_ child: UnsafePointer<HistogramBin>, from parent: UnsafeMutablePointer<HistogramBin>, size: Int) {
        for k in 0..<size {
            parent[k].gradient -= child[k].gradient
            parent[k].hessian -= child[k].hessian
            parent[k].count &-= child[k].count
        }
    }

    /// Naive twin of ``build(rows:bins:derivatives:into:)``: feature by feature, row by
    /// row, with plain arrays and no chunking. Tests check the two agree.
    static func buildNaive(rows: [Int], data: BinnedData, gradients: [Float], hessians: [Float]) -> [HistogramBin] {
        var hist = [HistogramBin](repeating: .zero, count: data.histogramOffsets.last!)
        for j in 0..<data.featureCount {
            for r in rows {
                let k = data.histogramOffsets[j] + Int(data.bins[r * data.rowStride + j])
                hist[k].gradient += Double(gradients[r])
                hist[k].hessian += Double(hessians[r])
                hist[k].count += 1
            }
        }
        return hist
    }
}
