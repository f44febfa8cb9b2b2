/// How one feature's raw values map to at most 256 bins (stage 1 of histogram boosting).
///
/// - **Numeric**: `thresholds` t₀ < t₁ < … < t_{k−1} are upper bin bounds; a value x goes to
///   bin `b(x) = #{j : tⱼ < x}` ∈ 0…k, so `b(x) ≤ b ⇔ x ≤ t_b`. Missing (`NaN`) values go to the
///   extra bin k + 1 (``missingBin``). When the sample has at most `maxBins` distinct values each
///   gets its own bin (thresholds at midpoints); otherwise bins are cut greedily so each holds
///   about the same number of sample rows, and a value heavier than one bin's share gets a bin
///   of its own (LightGBM's `GreedyFindBin`).
/// - **Categorical**: the `maxCategories` most frequent codes seen at least `minCategoryCount`
///   times get bins 0…m−1 (most frequent first), every other code shares the "other" bin m,
///   and missing codes (`NaN` or negative) the bin m + 1.
public struct FeatureBinMapper: Sendable, Equatable {
    /// Numeric or categorical.
    public let kind: FeatureColumns.Kind
    /// Upper bounds of the numeric bins (empty for categorical features).
    public let thresholds: [Float]
    /// Kept category codes in bin order (empty for numeric features).
    public let categories: [Int]
    /// Lookup from code to bin for codes `0..<codeToBin.count`; larger codes are "other".
    let codeToBin: [UInt8]

    /// Bin of missing values: the last bin.
    public var missingBin: Int { kind == .numeric ? thresholds.count + 1 : categories.count + 1 }
    /// Bin of rare or unseen categories (categorical features only).
    public var otherBin: Int { categories.count }
    /// Number of bins including the missing bin (≤ 256).
    public var binCount: Int { missingBin + 1 }

    /// A numeric mapper with the given sorted, strictly increasing upper bounds (at most 254).
    public init(numericThresholds: [Float]) {
        precondition(numericThresholds.count <= 254, "at most 255 numeric bins")
        kind = .numeric
        thresholds = numericThresholds
        categories = []
        codeToBin = []
    }

    /// A categorical mapper keeping `categories` (distinct codes ≥ 0, at most 254) in bin order.
    public init(categories: [Int]) {
        precondition(categories.count <= 254, "at most 254 kept categories")
        kind = .categorical
        thresholds = []
        self.categories = categories
        let maxCode = categories.max() ?? -1
        var lookup = [UInt8](repeating: UInt8(categories.count), count: maxCode + 1)
        for (b, c) in categories.enumerated() {
            precondition(c >= 0, "category codes must be non-negative")
            lookup[c] = UInt8(b)
        }
        codeToBin = lookup
    }

    /// The category code of a raw categorical value, or `nil` when missing (`NaN`, negative).
    /// Codes of 2³¹ and above are reported as `Int(Int32.max)` (an unseen code).
    @inline(__always)
    static func code(_ x: Float) -> Int? {
        guard x >= 0 else { return nil }  // false for NaN
        return x < 2_147_483_648 ? Int(x) : Int(Int32.max)
    }

    /// The bin of a raw value.
    @inline(__always)
    public func bin(_ x: Float) -> UInt8 {
        if kind == .numeric {
            if x.isNaN { return UInt8(truncatingIfNeeded: missingBin) }
            // Binary search for the number of thresholds strictly below x.
            var lo = 0, hi = thresholds.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if thresholds[mid] < x { lo = mid + 1 } else { hi = mid }
            }
            return UInt8(truncatingIfNeeded: lo)
        }
        guard let c = FeatureBinMapper.code(x) else { return UInt8(truncatingIfNeeded: missingBin) }
        return c < codeToBin.count ? codeToBin[c] : UInt8(truncatingIfNeeded: otherBin)
    }

    /// Computes numeric bin bounds from sample values (any order; `NaN` ignored).
    public static func numeric(sample: [Float], maxBins: Int) -> FeatureBinMapper {
        precondition((2...255).contains(maxBins), "maxBins must be in 2…255")
        var v = sample.filter { !$0.isNaN }
        v.sort()
        // Distinct values with their counts.
        var distinct: [Float] = [], counts: [Int] = []
        for x in v {
            if let last = distinct.last, last == x { counts[counts.count - 1] += 1 } else { distinct.append(x); counts.append(1) }
        }
        let k = distinct.count
        if k <= 1 { return FeatureBinMapper(numericThresholds: []) }
        /// Upper bound between two consecutive distinct values a < b: the midpoint, or `a` when
        /// rounding to Float would put the midpoint on `b`.
        func bound(_ a: Float, _ b: Float) -> Float {
            let m = Float((Double(a) + Double(b)) / 2)
            return (m >= a && m < b) ? m : a
        }
        var t: [Float] = []
        if k <= maxBins {
            for i in 0..<(k - 1) { t.append(bound(distinct[i], distinct[i + 1])) }
            return FeatureBinMapper(numericThresholds: t)
        }
        // Greedy equal-count cuts; heavy values get their own bin.
        var remainingRows = v.count, remainingBins = maxBins
        var i = 0
        while i < k && remainingBins > 1 {
            let target = Double(remainingRows) / Double(remainingBins)
            var acc = 0
            while i < k {
                acc += counts[i]
                i += 1
                if Double(acc) >= target { break }
                // Close before a heavy value so that it starts a bin of its own.
                if i < k && Double(counts[i]) >= target && acc > 0 { break }
            }
            if i < k { t.append(bound(distinct[i - 1], distinct[i])) }
            remainingRows -= acc
            remainingBins -= 1
        }
        return FeatureBinMapper(numericThresholds: t)
    }

    /// Chooses the kept categories from sample values (`NaN`/negative ignored): the
    /// `maxCategories` most frequent codes seen at least `minCount` times (ties by smaller code).
    public static func categorical(sample: [Float], maxCategories: Int, minCount: Int) -> FeatureBinMapper {
        var counts: [Int: Int] = [:]
        for x in sample { if let c = code(x) { counts[c, default: 0] += 1 } }
        let kept = counts.filter { $0.value >= minCount }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(min(maxCategories, 254))
            .map(\.key)
        return FeatureBinMapper(categories: kept)
    }
}

/// A feature table converted to bins once, stored **row-major** (`bins[i · S + j]`, row stride
/// `S = F` rounded up to a multiple of 8) so that the histogram of a node's rows reads one
/// aligned run of S bytes per row (LightGBM's row-wise layout): deep in a tree a node's rows are
/// scattered, and a row-major run costs one cache line where a column-major layout would cost
/// one per feature. Padding bytes are 0 and never read as features.
///
/// A second, **column-major** copy (``columns``, `columns[j · n + i]`) serves row partitioning:
/// a split reads one feature of the node's rows, and a 1-byte-per-row column of n bytes stays
/// in cache where the row-major table would cost a cache line per row (LightGBM also keeps
/// its per-feature bins next to the row-wise histogram data).
struct BinnedData: Sendable {
    let rowCount: Int
    let featureCount: Int
    /// Bytes per row (≥ featureCount, a multiple of 8).
    let rowStride: Int
    let mappers: [FeatureBinMapper]
    /// Row-major bins, `rowCount × rowStride`.
    let bins: [UInt8]
    /// Column-major bins, `featureCount × rowCount` (`columns[j * rowCount + i]`).
    let columns: [UInt8]
    /// Start of feature j's slice in a histogram; `histogramOffsets[F]` is the histogram size.
    let histogramOffsets: [Int]

    /// Bins `features` with the given mappers (one per column), in parallel over rows.
    init(_ features: FeatureColumns, mappers: [FeatureBinMapper], threads: Int) {
        precondition(mappers.count == features.columnCount, "one mapper per column")
        let n = features.rowCount, f = features.columnCount
        rowCount = n
        featureCount = f
        let stride = (f + 7) / 8 * 8
        rowStride = stride
        self.mappers = mappers
        var offsets = [0]
        for m in mappers { offsets.append(offsets.last! + m.binCount) }
        histogramOffsets = offsets
        var out = [UInt8](repeating: 0, count: max(1, n * stride))
        var cols = [UInt8](repeating: 0, count: max(1, n * f))
        let lookups = mappers.map(BinLookup.init)
        features.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                cols.withUnsafeMutableBufferPointer { cdst in
                    let box = UncheckedSendableBox((src, dst, cdst))
                    parallelFor(n, threads: threads, minimumPerThread: 4096) { range in
                        let (s, d, c) = box.value
                        // Blocks of rows, so the block's row-major bytes stay in L1 while every
                        // feature writes its byte of each row.
                        var lo = range.lowerBound
                        while lo < range.upperBound {
                            let hi = min(range.upperBound, lo + 512)
                            for j in 0..<f {
                                let col = j * n
                                lookups[j].bins(s.baseAddress! + col, lo..<hi, column: c.baseAddress! + col,
                                                rows: d.baseAddress! + j, rowStride: stride)
                            }
                            lo = hi
                        }
                    }
                }
            }
        }
        bins = out
        columns = cols
    }

    /// Computes mappers for every column of `features` from a seeded row sample of at most
    /// `sampleSize` rows.
    static func mappers(for features: FeatureColumns, categorical: [Bool], maxBins: Int, maxCategories: Int,
                        minCategoryCount: Int, sampleSize: Int, seed: UInt64, threads: Int) -> [FeatureBinMapper] {
        let n = features.rowCount
        var sampleRows: [Int]
        if n <= sampleSize {
            sampleRows = Array(0..<n)
        } else {
            var rng = SeededGenerator(seed: seed ^ 0xB1_5EED)
            sampleRows = Array(rng.permutation(n).prefix(sampleSize))
            sampleRows.sort()
        }
        var result = [FeatureBinMapper?](repeating: nil, count: features.columnCount)
        result.withUnsafeMutableBufferPointer { out in
            let box = UncheckedSendableBox(out)
            parallelFor(features.columnCount, threads: threads, minimumPerThread: 1) { range in
                for j in range {
                    let col = features.column(j)
                    let base = col.startIndex
                    let sample = sampleRows.map { col[base + $0] }
                    box.value[j] = categorical[j]
                        ? FeatureBinMapper.categorical(sample: sample, maxCategories: maxCategories, minCount: minCategoryCount)
                        : FeatureBinMapper.numeric(sample: sample, maxBins: maxBins)
                }
            }
        }
        return result.map { $0! }
    }
}

/// A fast twin of ``FeatureBinMapper/bin(_:)`` for binning whole columns: numeric features
/// search thresholds padded with +∞ to 255 entries in 8 branch-free halving steps (no
/// mispredicted branches); categorical features use the mapper itself. Tests check the two agree.
struct BinLookup: Sendable {
    let mapper: FeatureBinMapper
    /// Numeric: the thresholds followed by +∞ up to 255 entries (empty for categorical).
    let padded: [Float]

    init(_ mapper: FeatureBinMapper) {
        self.mapper = mapper
        padded = mapper.kind == .numeric
            ? mapper.thresholds + [Float](repeating: .infinity, count: 255 - mapper.thresholds.count) : []
    }

    /// The bin of `x` (numeric features only): `#{j : tⱼ < x}`, or the missing bin for `NaN`.
    @inline(__always)
    static func numericBin(_ x: Float, _ t: UnsafePointer<Float>, missing: UInt8) -> UInt8 {
        var pos = 0
        var step = 128
        while step > 0 {
            // +∞ padding is never < x, so `pos` counts real thresholds only.
            pos &+= t[pos &+ step &- 1] < x ? step : 0
            step &>>= 1
        }
        return x.isNaN ? missing : UInt8(truncatingIfNeeded: pos)
    }

    /// Bins `values[range]` into `column[range]` and `rows[i · rowStride]` for i in `range`.
    @inline(__always)
    func bins(_ values: UnsafePointer<Float>, _ range: Range<Int>, column: UnsafeMutablePointer<UInt8>,
              rows: UnsafeMutablePointer<UInt8>, rowStride: Int) {
        if mapper.kind == .numeric {
            let missing = UInt8(truncatingIfNeeded: mapper.missingBin)
            padded.withUnsafeBufferPointer { tp in
                let t = tp.baseAddress!
                for i in range {
                    let b = BinLookup.numericBin(values[i], t, missing: missing)
                    column[i] = b
                    rows[i &* rowStride] = b
                }
            }
        } else {
            for i in range {
                let b = mapper.bin(values[i])
                column[i] = b
                rows[i &* rowStride] = b
            }
        }
    }
}

