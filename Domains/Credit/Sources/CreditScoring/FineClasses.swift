import LeptonIO

/// How numeric values are first cut into fine classes, before the optimal merge.
public enum Prebinning: String, Codable, Sendable, CaseIterable {
    /// At quantiles of the values (`prebins` of them), blind to the outcome.
    case quantile
    /// Where a classification tree on the outcome would split (Gini, best first, at most
    /// `prebins` leaves, each with at least `minPrebinShare` of the rows): optbinning's default.
    case cart
}

/// The regular values of a numeric characteristic as its distinct values, ascending, each with
/// its rows and bads; plus the missing and special rows. One hashing pass over the rows (a sort
/// only when nearly every value is distinct), so that fine classing costs O(distinct values).
struct DistinctValues {
    /// Distinct regular values, ascending (−0 taken as 0).
    var values: [Double] = []
    var counts: [Int] = []
    var bads: [Int] = []
    var missing = OptimalBinning.Fine(count: 0, bads: 0)
    /// One per special value, aligned with the characteristic's `specialValues`.
    var special: [OptimalBinning.Fine] = []

    /// Rows with a regular value.
    var regularCount: Int { counts.reduce(0, +) }

    init(values rows: [Double], labels: [Double], specials: [Double]) {
        special = [OptimalBinning.Fine](repeating: .init(count: 0, bads: 0), count: specials.count)
        let table = DoubleCounter(capacity: 1024)
        var overflow = false
        // Beyond this many distinct values a sort is cheaper than the table.
        let limit = max(1 << 16, rows.count / 8)
        rows.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                for i in 0..<x.count {
                    let v = x[i], bad = y[i] == 1 ? 1 : 0
                    if v.isNaN {
                        missing.count += 1
                        missing.bads += bad
                    } else if !specials.isEmpty, let s = specials.firstIndex(of: v) {
                        special[s].count += 1
                        special[s].bads += bad
                    } else if !overflow {
                        table.add(v + 0, bad: bad)
                        if table.count > limit { overflow = true }
                    }
                }
            }
        }
        if overflow {
            var regular: [(Double, Int)] = []
            regular.reserveCapacity(rows.count)
            for (v, y) in zip(rows, labels) where !v.isNaN && !specials.contains(v) { regular.append((v + 0, y == 1 ? 1 : 0)) }
            regular.sort { $0.0 < $1.0 }
            for (v, bad) in regular {
                if v == values.last {
                    counts[counts.count - 1] += 1
                    bads[bads.count - 1] += bad
                } else {
                    values.append(v)
                    counts.append(1)
                    bads.append(bad)
                }
            }
        } else {
            let (tableValues, tableCounts, tableBads) = (table.values, table.counts, table.bads)
            let order = tableValues.indices.sorted { tableValues[$0] < tableValues[$1] }
            values = order.map { tableValues[$0] }
            counts = order.map { tableCounts[$0] }
            bads = order.map { tableBads[$0] }
        }
    }

    /// The value of rank `r` (0-based) among the regular rows in ascending order.
    func value(atRank r: Int) -> Double {
        var seen = 0
        for (k, c) in counts.enumerated() {
            seen += c
            if r < seen { return values[k] }
        }
        return values[values.count - 1]
    }

    /// Cuts at the `prebins`-quantiles: the value of rank q·m/p for q = 1 … p−1, distinct,
    /// finite and above the smallest value (a value ≥ the cut falls to its right).
    ///
    /// Zero inflation: when the value at the last quantile, v = x₍₍p−1)·m/p₎, is a mass point at
    /// least one quantile wide (count ≥ m/p) and larger values follow, a cut also goes at the
    /// next distinct value after v, so that a sparse tail (a delinquency count: 96 % zeros, then
    /// 1, 2, 3, 98) is a fine class of its own instead of being lumped with the mass; whether it
    /// stays a bin is then up to the merge and the minimum bin share.
    ///
    /// ±∞ are never cuts: they fall in the first or last range, as the most extreme values.
    func quantileCuts(prebins: Int) -> [Double] {
        let m = regularCount
        guard m > 0 else { return [] }
        let p = max(2, prebins)
        var cuts: [Double] = []
        var k = 0, seen = 0
        for q in 1..<p {
            let rank = q * m / p
            while seen + counts[k] <= rank {
                seen += counts[k]
                k += 1
            }
            let c = values[k]
            if c > values[0] && c != cuts.last && c.isFinite { cuts.append(c) }
        }
        // k is now the distinct value at the last quantile.
        if counts[k] * p >= m, k + 1 < values.count, values[k + 1].isFinite, cuts.last.map({ $0 < values[k + 1] }) ?? true {
            cuts.append(values[k + 1])
        }
        return cuts
    }

    /// Cuts where a Gini classification tree grown best first would split: each split is the one
    /// that most lowers the weighted Gini impurity of its node (the first of equals), both sides
    /// with at least `minLeaf` rows; the node with the largest decrease is split next, up to
    /// `maxLeaves` leaves (scikit-learn's `max_leaf_nodes` growth, as optbinning's prebinning uses).
    /// Each cut is the smallest value on its right. Then, as optbinning does, classes without a
    /// bad or without a good are joined to their right neighbour (the last to its left).
    func cartCuts(maxLeaves: Int, minLeaf: Int) -> [Double] {
        guard values.count > 1 else { return [] }
        var countPrefix = [0], badPrefix = [0]
        for k in values.indices {
            countPrefix.append(countPrefix[k] + counts[k])
            badPrefix.append(badPrefix[k] + bads[k])
        }
        let total = Double(countPrefix[values.count])
        func gini(_ lo: Int, _ hi: Int) -> Double {
            let n = Double(countPrefix[hi] - countPrefix[lo])
            guard n > 0 else { return 0 }
            let p = Double(badPrefix[hi] - badPrefix[lo]) / n
            return 2 * p * (1 - p)
        }
        /// The best split of distinct values lo..<hi: its position and impurity decrease.
        func bestSplit(_ lo: Int, _ hi: Int) -> (at: Int, gain: Double)? {
            let n = countPrefix[hi] - countPrefix[lo]
            guard n >= 2 * minLeaf, gini(lo, hi) > 1e-12 else { return nil }
            let parent = Double(n) * gini(lo, hi)
            var best: (at: Int, gain: Double)?
            for k in (lo + 1)..<hi {
                let left = countPrefix[k] - countPrefix[lo], right = n - left
                if left < minLeaf { continue }
                if right < minLeaf { break }
                let gain = (parent - Double(left) * gini(lo, k) - Double(right) * gini(k, hi)) / total
                if best == nil || gain > best!.gain { best = (k, gain) }
            }
            return best
        }
        struct Node { var lo: Int; var hi: Int; var split: (at: Int, gain: Double)? }
        var leaves = [Node(lo: 0, hi: values.count, split: bestSplit(0, values.count))]
        while leaves.count < max(maxLeaves, 1) {
            // The splittable leaf with the largest decrease (the earliest of equals).
            var chosen = -1
            for (i, leaf) in leaves.enumerated() {
                guard let split = leaf.split else { continue }
                if chosen < 0 || split.gain > leaves[chosen].split!.gain { chosen = i }
            }
            guard chosen >= 0 else { break }
            let node = leaves[chosen], at = node.split!.at
            leaves[chosen] = Node(lo: node.lo, hi: at, split: bestSplit(node.lo, at))
            leaves.insert(Node(lo: at, hi: node.hi, split: bestSplit(at, node.hi)), at: chosen + 1)
        }
        var starts = leaves.map(\.lo)
        // Join classes that lack bads or goods.
        while starts.count > 1 {
            let ends = Array(starts.dropFirst()) + [values.count]
            guard let pure = starts.indices.first(where: { g in
                let c = countPrefix[ends[g]] - countPrefix[starts[g]], b = badPrefix[ends[g]] - badPrefix[starts[g]]
                return b == 0 || b == c
            }) else { break }
            starts.remove(at: pure == starts.count - 1 ? pure : pure + 1)
        }
        return starts.dropFirst().map { values[$0] }.filter(\.isFinite)  // ±∞ fall in the end ranges
    }
}

/// Counts rows and bads per distinct Double: open addressing on the bit pattern, in manually
/// managed memory (no reference counting or uniqueness checks per row).
final class DoubleCounter {
    private var keys: UnsafeMutablePointer<Double>
    private var rowCounts: UnsafeMutablePointer<Int>
    private var badCounts: UnsafeMutablePointer<Int>
    private var slots: UnsafeMutablePointer<Int32>
    private var mask: Int
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        var size = 16
        while size < 2 * capacity { size <<= 1 }
        mask = size - 1
        slots = .allocate(capacity: size)
        slots.initialize(repeating: -1, count: size)
        self.capacity = size / 2
        keys = .allocate(capacity: self.capacity)
        rowCounts = .allocate(capacity: self.capacity)
        badCounts = .allocate(capacity: self.capacity)
    }

    deinit {
        keys.deallocate()
        rowCounts.deallocate()
        badCounts.deallocate()
        slots.deallocate()
    }

    var values: [Double] { Array(UnsafeBufferPointer(start: keys, count: count)) }
    var counts: [Int] { Array(UnsafeBufferPointer(start: rowCounts, count: count)) }
    var bads: [Int] { Array(UnsafeBufferPointer(start: badCounts, count: count)) }

    @inline(__always)
    static func slot(of v: Double, mask: Int) -> Int {
        // SplitMix64's finaliser: integral values have all-zero low mantissa bits, so the high
        // bits must be folded down before masking.
        var h = v.bitPattern
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 31
        return Int(truncatingIfNeeded: h) & mask
    }

    @inline(__always)
    func add(_ v: Double, bad: Int) {
        var s = Self.slot(of: v, mask: mask)
        while true {
            let k = Int(slots[s])
            if k < 0 { break }
            if keys[k] == v {
                rowCounts[k] += 1
                badCounts[k] += bad
                return
            }
            s = (s + 1) & mask
        }
        if count == capacity {
            grow()
            s = Self.slot(of: v, mask: mask)
            while slots[s] >= 0 { s = (s + 1) & mask }
        }
        slots[s] = Int32(count)
        keys[count] = v
        rowCounts[count] = 1
        badCounts[count] = bad
        count += 1
    }

    private func grow() {
        let size = (mask + 1) * 2
        slots.deallocate()
        slots = .allocate(capacity: size)
        slots.initialize(repeating: -1, count: size)
        mask = size - 1
        for k in 0..<count {
            var s = Self.slot(of: keys[k], mask: mask)
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(k)
        }
        let newCapacity = size / 2
        keys = keys.movedToAllocation(capacity: newCapacity, count: count)
        rowCounts = rowCounts.movedToAllocation(capacity: newCapacity, count: count)
        badCounts = badCounts.movedToAllocation(capacity: newCapacity, count: count)
        capacity = newCapacity
    }
}
