/// Pareto ranks over several objectives (non-dominated sorting, as NSGA-II does).
///
/// Candidate a dominates b when a is at least as good as b on every objective and strictly
/// better on one. Rank 0 is the set no candidate dominates (the frontier); rank r is the
/// frontier of what remains after ranks 0…r−1 are removed. A non-finite value is worse than any
/// finite one. O(k·n²) for n candidates and k objectives.
public enum ParetoFront {
    /// Whether an objective is maximised (a metric) or minimised (latency, size, cost).
    public enum Direction: Sendable, Equatable {
        case maximize, minimize
    }

    /// Whether `a` dominates `b` under `directions` (one value per objective).
    public static func dominates(_ a: [Double], _ b: [Double], _ directions: [Direction]) -> Bool {
        precondition(a.count == directions.count && b.count == directions.count, "one value per objective")
        var strictly = false
        for (k, d) in directions.enumerated() {
            let x = oriented(a[k], d), y = oriented(b[k], d)
            if x < y { return false }
            if x > y { strictly = true }
        }
        return strictly
    }

    /// The Pareto rank of each candidate (0 = on the frontier).
    public static func ranks(_ points: [[Double]], _ directions: [Direction]) -> [Int] {
        var rank = [Int](repeating: -1, count: points.count)
        var remaining = Array(points.indices)
        var r = 0
        while !remaining.isEmpty {
            let front = remaining.filter { i in !remaining.contains { j in j != i && dominates(points[j], points[i], directions) } }
            for i in front { rank[i] = r }
            remaining.removeAll { rank[$0] == r }
            r += 1
        }
        return rank
    }

    /// Indices of the frontier (rank 0), in input order.
    public static func frontier(_ points: [[Double]], _ directions: [Direction]) -> [Int] {
        ranks(points, directions).enumerated().filter { $0.element == 0 }.map(\.offset)
    }

    /// A value where larger is better and non-finite values lose.
    @inline(__always)
    static func oriented(_ v: Double, _ d: Direction) -> Double {
        guard v.isFinite else { return -.infinity }
        return d == .maximize ? v : -v
    }
}
