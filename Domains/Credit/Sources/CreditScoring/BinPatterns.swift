/// The distinct combinations of bins that the rows take over some characteristics, each with
/// its rows and bads: the sufficient statistics of anything fitted on the binned data.
///
/// A WOE column is a function of the bin, so a sum over rows of any function of the WOE values
/// and the label equals the same sum over patterns weighted by their counts. Selection and the
/// logistic regression therefore run on the patterns (at most as many as rows, often far fewer:
/// 1,000,000 synthetic applicants drawn from German credit take under 1,000), with the same
/// optimum; only the order of floating-point additions differs.
///
/// Deterministic: patterns are numbered in order of first appearance in the rows.
struct BinPatterns {
    /// Characteristics per pattern.
    let width: Int
    /// `bins[p * width + j]`: the bin of characteristic j in pattern p.
    private(set) var bins: [Int32] = []
    /// Rows and bad rows of each pattern.
    private(set) var counts: [Double] = []
    private(set) var bads: [Double] = []
    /// The pattern of each row.
    let rowPattern: [Int32]

    var count: Int { counts.count }

    /// Patterns of the rows of `columns` (one array of bin indices per characteristic, all of
    /// the same length) with `labels` (1 = bad).
    init(columns: [[Int32]], labels: [Double]) {
        width = columns.count
        let n = labels.count
        precondition(columns.allSatisfy { $0.count == n }, "BinPatterns: columns and labels differ in length")
        var slots = [Int32](repeating: -1, count: 1024)
        var mask = slots.count - 1
        var hashes: [UInt64] = []
        var bins: [Int32] = [], counts: [Double] = [], bads: [Double] = []
        let width = self.width
        // Raw views of the columns. Safe: `columns` is an immutable parameter kept alive (and so
        // its arrays' storage in place) until the loop is done; with no rows they are never read.
        let bases = UnsafeMutablePointer<UnsafePointer<Int32>>.allocate(capacity: max(width, 1))
        defer { bases.deallocate() }
        let row = UnsafeMutablePointer<Int32>.allocate(capacity: max(width, 1))
        defer { row.deallocate() }
        rowPattern = withExtendedLifetime(columns) {
            for j in 0..<width where n > 0 { bases[j] = columns[j].withUnsafeBufferPointer { $0.baseAddress! } }
            return [Int32](unsafeUninitializedCapacity: n) { patternOfRow, initialized in
                for i in 0..<n {
                    var h: UInt64 = 0x9E37_79B9_7F4A_7C15
                    for j in 0..<width {
                        let b = bases[j][i]
                        row[j] = b
                        h = (h ^ UInt64(UInt32(bitPattern: b))) &* 0xBF58_476D_1CE4_E5B9
                        h ^= h >> 31
                    }
                    var s = Int(truncatingIfNeeded: h) & mask
                    var found: Int32 = -1
                    while slots[s] >= 0 {
                        let p = Int(slots[s])
                        if hashes[p] == h && bins.withUnsafeBufferPointer({ stored in
                            (0..<width).allSatisfy { stored[p * width + $0] == row[$0] }
                        }) {
                            found = Int32(p)
                            break
                        }
                        s = (s + 1) & mask
                    }
                    if found < 0 {
                        found = Int32(counts.count)
                        slots[s] = found
                        hashes.append(h)
                        bins.append(contentsOf: UnsafeBufferPointer(start: row, count: width))
                        counts.append(0)
                        bads.append(0)
                        if 2 * counts.count > slots.count {
                            slots = [Int32](repeating: -1, count: slots.count * 2)
                            mask = slots.count - 1
                            for (p, hash) in hashes.enumerated() {
                                var t = Int(truncatingIfNeeded: hash) & mask
                                while slots[t] >= 0 { t = (t + 1) & mask }
                                slots[t] = Int32(p)
                            }
                        }
                    }
                    counts[Int(found)] += 1
                    if labels[i] == 1 { bads[Int(found)] += 1 }
                    patternOfRow[i] = found
                }
                initialized = n
            }
        }
        self.bins = bins
        self.counts = counts
        self.bads = bads
    }

    /// The bin of characteristic `j` in every pattern.
    func column(_ j: Int) -> [Int32] { (0..<count).map { bins[$0 * width + j] } }

    /// The weighted rows a logistic regression takes: for each pattern, a bad row weighted by its
    /// bads and a good row weighted by its goods (rows of weight 0 left out). Returns the pattern
    /// of each weighted row, its label and its weight.
    func weightedRows() -> (patterns: [Int], labels: [Double], weights: [Double]) {
        var patterns: [Int] = [], labels: [Double] = [], weights: [Double] = []
        for p in 0..<count {
            if bads[p] > 0 {
                patterns.append(p)
                labels.append(1)
                weights.append(bads[p])
            }
            if counts[p] > bads[p] {
                patterns.append(p)
                labels.append(0)
                weights.append(counts[p] - bads[p])
            }
        }
        return (patterns, labels, weights)
    }
}
