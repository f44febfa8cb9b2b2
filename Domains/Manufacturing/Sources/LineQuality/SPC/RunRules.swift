/// The sets of run rules that flag out-of-control patterns on a Shewhart chart.
public enum RuleSet: String, Sendable, CaseIterable, Codable {
    /// Western Electric rules 1–4.
    case westernElectric = "western-electric"
    /// Nelson rules 1–8.
    case nelson

    /// Indices (0-based) of points completing a pattern, with the rule number within the set.
    ///
    /// Zones come from each point's own limits: one σ is (UCL − centre)/3 above the centre and
    /// (centre − LCL)/3 below (with LCL clipped at 0, the upper width is used for both). A point
    /// is flagged by a rule when it completes the rule's pattern (the last point of the run),
    /// so a run that goes on is flagged at each further point.
    ///
    /// Western Electric: 1 one point beyond 3σ; 2 two of three beyond 2σ on one side; 3 four of
    /// five beyond 1σ on one side; 4 eight in a row on one side.
    /// Nelson: 1 one point beyond 3σ; 2 nine in a row on one side; 3 six in a row steadily
    /// increasing or decreasing; 4 fourteen in a row alternating up and down; 5 two of three
    /// beyond 2σ on one side; 6 four of five beyond 1σ on one side; 7 fifteen in a row within 1σ
    /// (either side); 8 eight in a row beyond 1σ, none within, with points on both sides of the centre.
    public func violations(points: [Double], center: [Double], lcl: [Double], ucl: [Double]) -> [(index: Int, rule: Int)] {
        let z = Self.sigmaDistances(points: points, center: center, lcl: lcl, ucl: ucl)
        let n = z.count
        // One pass with running counts: each rule is O(1) per point (tested against the pattern definitions).
        var found: [(Int, Int)] = []
        var above = 0, below = 0, rising = 0, falling = 0, alternating = 0, within = 0, outside = 0
        var twoUp = 0, twoDown = 0, oneUp = 0, oneDown = 0  // beyond 2σ in the last 3, beyond 1σ in the last 5, by side
        var eightUp = 0, eightDown = 0  // beyond 1σ in the last 8, by side
        for i in 0..<n {
            let zi = z[i]
            above = zi > 0 ? above + 1 : 0
            below = zi < 0 ? below + 1 : 0
            if i > 0 {
                rising = points[i] > points[i - 1] ? rising + 1 : 0
                falling = points[i] < points[i - 1] ? falling + 1 : 0
            }
            if i > 1 {
                let a = points[i] - points[i - 1], b = points[i - 1] - points[i - 2]
                alternating = a * b < 0 ? alternating + 1 : 0
            }
            within = abs(zi) < 1 ? within + 1 : 0
            outside = abs(zi) > 1 ? outside + 1 : 0
            twoUp += zi > 2 ? 1 : 0
            twoDown += zi < -2 ? 1 : 0
            oneUp += zi > 1 ? 1 : 0
            oneDown += zi < -1 ? 1 : 0
            if i >= 3 {
                twoUp -= z[i - 3] > 2 ? 1 : 0
                twoDown -= z[i - 3] < -2 ? 1 : 0
            }
            if i >= 5 {
                oneUp -= z[i - 5] > 1 ? 1 : 0
                oneDown -= z[i - 5] < -1 ? 1 : 0
            }
            eightUp += zi > 1 ? 1 : 0
            eightDown += zi < -1 ? 1 : 0
            if i >= 8 {
                eightUp -= z[i - 8] > 1 ? 1 : 0
                eightDown -= z[i - 8] < -1 ? 1 : 0
            }
            let twoOfThree = i >= 2 && (twoUp >= 2 || twoDown >= 2)
            let fourOfFive = i >= 4 && (oneUp >= 4 || oneDown >= 4)
            switch self {
            case .westernElectric:
                if abs(zi) > 3 { found.append((i, 1)) }
                if twoOfThree { found.append((i, 2)) }
                if fourOfFive { found.append((i, 3)) }
                if above >= 8 || below >= 8 { found.append((i, 4)) }
            case .nelson:
                if abs(zi) > 3 { found.append((i, 1)) }
                if above >= 9 || below >= 9 { found.append((i, 2)) }
                if rising >= 5 || falling >= 5 { found.append((i, 3)) }
                if alternating >= 12 { found.append((i, 4)) }
                if twoOfThree { found.append((i, 5)) }
                if fourOfFive { found.append((i, 6)) }
                if within >= 15 { found.append((i, 7)) }
                if outside >= 8 && eightUp > 0 && eightDown > 0 { found.append((i, 8)) }
            }
        }
        return found
    }

    /// Signed distance of each point from its centre in σ units, σ = (UCL − centre) / 3 above and
    /// (centre − LCL) / 3 below (the upper width when the lower limit was clamped at 0); NaN
    /// points give NaN, which breaks every run.
    static func sigmaDistances(points: [Double], center: [Double], lcl: [Double], ucl: [Double]) -> [Double] {
        let n = points.count
        precondition(center.count == n && lcl.count == n && ucl.count == n, "RuleSet: one centre and limit pair per point")
        return (0..<n).map { i in
            let up = (ucl[i] - center[i]) / 3
            let down = (center[i] - lcl[i]) / 3
            let d = points[i] - center[i]
            let width = d >= 0 ? up : (lcl[i] <= 0 && center[i] - 3 * up < 0 ? up : down)
            guard width > 0, width.isFinite else { return d == 0 ? 0 : (d > 0 ? .infinity : -.infinity) }
            return d / width
        }
    }

    /// The naive twin of ``violations(points:center:lcl:ucl:)``: each rule checks its whole window at every point.
    func violationsNaive(points: [Double], center: [Double], lcl: [Double], ucl: [Double]) -> [(index: Int, rule: Int)] {
        let z = Self.sigmaDistances(points: points, center: center, lcl: lcl, ucl: ucl)
        let n = z.count
        var found: [(Int, Int)] = []
        func beyond(_ i: Int, _ k: Double, _ side: Double) -> Bool { side > 0 ? z[i] > k : z[i] < -k }
        /// m of the last `window` points (ending at i) beyond k σ on one side.
        func mOf(_ m: Int, _ window: Int, _ k: Double, _ i: Int) -> Bool {
            guard i + 1 >= window else { return false }
            for side in [1.0, -1.0] {
                var count = 0
                for j in (i - window + 1)...i where beyond(j, k, side) { count += 1 }
                if count >= m { return true }
            }
            return false
        }
        /// The last `length` points (ending at i) all satisfy `test`.
        func run(_ length: Int, _ i: Int, _ test: (Int) -> Bool) -> Bool {
            guard i + 1 >= length else { return false }
            for j in (i - length + 1)...i where !test(j) { return false }
            return true
        }
        for i in 0..<n {
            var rules: [Int] = []
            switch self {
            case .westernElectric:
                if abs(z[i]) > 3 { rules.append(1) }
                if mOf(2, 3, 2, i) { rules.append(2) }
                if mOf(4, 5, 1, i) { rules.append(3) }
                if run(8, i, { z[$0] > 0 }) || run(8, i, { z[$0] < 0 }) { rules.append(4) }
            case .nelson:
                if abs(z[i]) > 3 { rules.append(1) }
                if run(9, i, { z[$0] > 0 }) || run(9, i, { z[$0] < 0 }) { rules.append(2) }
                // Six points in a row steadily rising (or falling): five rises (falls) in a row.
                if i >= 5, run(5, i, { points[$0] > points[$0 - 1] }) || run(5, i, { points[$0] < points[$0 - 1] }) { rules.append(3) }
                // Fourteen points alternating: thirteen steps, each opposite to the one before.
                if i >= 13, run(12, i, { j in
                    let a = points[j] - points[j - 1], b = points[j - 1] - points[j - 2]
                    return a * b < 0
                }) { rules.append(4) }
                if mOf(2, 3, 2, i) { rules.append(5) }
                if mOf(4, 5, 1, i) { rules.append(6) }
                if run(15, i, { abs(z[$0]) < 1 }) { rules.append(7) }
                if run(8, i, { abs(z[$0]) > 1 }), run(8, i, { z[$0] > -1 }) == false, run(8, i, { z[$0] < 1 }) == false { rules.append(8) }
            }
            found += rules.map { (i, $0) }
        }
        return found
    }
}
