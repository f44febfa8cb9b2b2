/// Weight sharing by k-means: a tensor's values replaced by the nearest of k centroids, so the
/// file stores a k-entry codebook and a ⌈log₂ k⌉-bit code per weight (4 bits for 16 centroids,
/// 8 for 32 to 256).
///
/// One-dimensional k-means (Lloyd's algorithm) on the sorted values: centroids start at the
/// (i + ½)/k quantiles, each value goes to the nearest centroid (the boundaries are the
/// midpoints between neighbouring centroids), each centroid moves to the mean of its values,
/// until no assignment changes or 100 iterations. Deterministic: no random start is needed in 1-D.
public enum WeightClustering {
    /// The k centroids (ascending) of `values`.
    public static func centroids(_ values: [Float], k: Int) -> [Float] {
        precondition(k >= 1 && k <= 256, "k-means: 1 to 256 centroids")
        let sorted = values.filter(\.isFinite).sorted()
        guard !sorted.isEmpty else { return [0] }
        let distinct = Array(Set(sorted)).sorted()
        if distinct.count <= k { return distinct }
        var c = (0..<k).map { i in sorted[min(sorted.count - 1, Int((Double(i) + 0.5) / Double(k) * Double(sorted.count)))] }
        var previous: [Int] = []
        for _ in 0..<100 {
            // Boundaries between neighbours; values up to boundary j belong to centroid j.
            var counts = [Int](repeating: 0, count: c.count), sums = [Double](repeating: 0, count: c.count)
            var j = 0
            for v in sorted {
                while j + 1 < c.count && v > (c[j] + c[j + 1]) / 2 { j += 1 }
                counts[j] += 1
                sums[j] += Double(v)
            }
            if counts == previous { break }
            previous = counts
            c = c.indices.map { counts[$0] > 0 ? Float(sums[$0] / Double(counts[$0])) : c[$0] }
            c.sort()
        }
        return c
    }

    /// The codebook of `values` (at most k entries) and each value's code (nearest centroid).
    public static func codes(_ values: [Float], k: Int) -> (codebook: [Float], codes: [UInt8]) {
        let c = centroids(values, k: k)
        return (c, values.map { nearest($0, c) })
    }

    /// The codebook and codes of values already clustered (each value is a centroid).
    static func codes(_ values: [Float]) -> (codebook: [Float], codes: [UInt8]) {
        let codebook = Array(Set(values.map(\.bitPattern))).map(Float.init(bitPattern:)).sorted()
        precondition(codebook.count <= 256, "a clustered tensor has at most 256 distinct values")
        let index = Dictionary(codebook.enumerated().map { ($1.bitPattern, UInt8($0)) }, uniquingKeysWith: { a, _ in a })
        return (codebook, values.map { index[$0.bitPattern]! })
    }

    static func nearest(_ v: Float, _ c: [Float]) -> UInt8 {
        guard v.isFinite else { return 0 }
        var lo = 0, hi = c.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if v > (c[mid] + c[mid + 1]) / 2 { lo = mid + 1 } else { hi = mid }
        }
        return UInt8(lo)
    }

    /// Clusters every weight tensor (rank ≥ 2: convolution and dense weights) of `model` in
    /// place to `k` centroids; returns the names of the tensors clustered.
    @discardableResult
    public static func cluster(_ model: some Layer, k: Int) -> [String] {
        var names: [String] = []
        for (name, p) in model.namedParameters where p.isTrainable && p.value.rank >= 2 {
            let (codebook, codes) = codes(p.value.scalars, k: k)
            p.value = Tensor(shape: p.value.shape, scalars: codes.map { codebook[Int($0)] })
            names.append(name)
        }
        return names
    }
}
