/// One candidate model as the speed/cost navigator measured it.
public struct NavigatorCandidate: Sendable, Equatable {
    /// A name that says what it is (`gbdt-100-trees-q8`, `cnn-small-int8`…).
    public var name: String
    /// The domain's quality metric on held-out data (larger is better; AUC for the classifiers).
    public var metric: Double
    /// Speed at batch 1 and at the domain's batch size.
    public var speed: SpeedMeasurement
    /// Bytes of the saved model file.
    public var bytes: Int
    /// Currency per million predictions (``CostModel``), unrounded.
    public var costPerMillion: Double
    /// Compute seconds spent training (and compressing) it, and what they cost.
    public var trainingSeconds: Double
    public var trainingCost: Double
    /// Further figures a domain constrains or reports (e.g. `sensitivity_lower_ci`).
    public var extra: [String: Double]
    /// The highest fidelity it was evaluated at (1 = full), and whether that is final.
    public var fidelity: Double

    public init(name: String, metric: Double, speed: SpeedMeasurement, bytes: Int, costPerMillion: Double,
                trainingSeconds: Double, trainingCost: Double, extra: [String: Double] = [:], fidelity: Double = 1) {
        self.name = name; self.metric = metric; self.speed = speed; self.bytes = bytes; self.costPerMillion = costPerMillion
        self.trainingSeconds = trainingSeconds; self.trainingCost = trainingCost; self.extra = extra; self.fidelity = fidelity
    }

    /// The objectives the navigator ranks by: metric (max), p50 latency, bytes and cost (min).
    public var objectives: [Double] { [metric, speed.latencyP50Microseconds, Double(bytes), costPerMillion] }
    public static let directions: [ParetoFront.Direction] = [.maximize, .minimize, .minimize, .minimize]
}

/// What a team requires of the chosen model; nil means no constraint.
public struct NavigatorConstraints: Sendable, Equatable {
    public var minMetric: Double?
    public var maxLatencyMicroseconds: Double?
    public var maxSizeKB: Double?
    public var maxCostPerMillion: Double?
    /// Lower bounds on named extra figures (e.g. `["sensitivity_lower_ci": 0.9]`).
    public var minimums: [String: Double]

    public init(minMetric: Double? = nil, maxLatencyMicroseconds: Double? = nil, maxSizeKB: Double? = nil,
                maxCostPerMillion: Double? = nil, minimums: [String: Double] = [:]) {
        self.minMetric = minMetric; self.maxLatencyMicroseconds = maxLatencyMicroseconds; self.maxSizeKB = maxSizeKB
        self.maxCostPerMillion = maxCostPerMillion; self.minimums = minimums
    }

    public var isEmpty: Bool {
        minMetric == nil && maxLatencyMicroseconds == nil && maxSizeKB == nil && maxCostPerMillion == nil && minimums.isEmpty
    }

    /// One line per constraint `c` fails, saying by how much (empty when it meets them all).
    public func violations(_ c: NavigatorCandidate) -> [String] {
        var out: [String] = []
        if let m = minMetric, !(c.metric >= m) { out.append(String(format: "metric %.4f is %.4f below --min-metric %.4f", c.metric, m - c.metric, m)) }
        if let l = maxLatencyMicroseconds, !(c.speed.latencyP50Microseconds <= l) {
            out.append(String(format: "p50 latency %.1f µs is %.1f µs over --max-latency-us %.1f", c.speed.latencyP50Microseconds,
                              c.speed.latencyP50Microseconds - l, l))
        }
        if let s = maxSizeKB, !(Double(c.bytes) / 1024 <= s) {
            out.append(String(format: "size %.1f KB is %.1f KB over --max-size-kb %.1f", Double(c.bytes) / 1024, Double(c.bytes) / 1024 - s, s))
        }
        if let p = maxCostPerMillion, !(c.costPerMillion <= p) {
            out.append(String(format: "cost %.6g per million is %.6g over --max-cost-per-million %.6g", c.costPerMillion, c.costPerMillion - p, p))
        }
        for (name, minimum) in minimums.sorted(by: { $0.key < $1.key }) {
            let v = c.extra[name] ?? -.infinity
            if !(v >= minimum) { out.append(String(format: "%@ %.4f is %.4f below the minimum %.4f", name, v, minimum - v, minimum)) }
        }
        return out
    }

    /// How far `c` is from meeting every constraint: the sum of its relative shortfalls
    /// (0 when it meets them all). Used to name the closest candidate when none qualifies.
    public func distance(_ c: NavigatorCandidate) -> Double {
        func over(_ value: Double, _ limit: Double) -> Double { value.isFinite ? max(0, (value - limit) / max(abs(limit), 1e-12)) : 1e9 }
        var d = 0.0
        if let m = minMetric { d += over(-c.metric, -m) }
        if let l = maxLatencyMicroseconds { d += over(c.speed.latencyP50Microseconds, l) }
        if let s = maxSizeKB { d += over(Double(c.bytes) / 1024, s) }
        if let p = maxCostPerMillion { d += over(c.costPerMillion, p) }
        for (name, minimum) in minimums { d += over(-(c.extra[name] ?? -.infinity), -minimum) }
        return d
    }
}

/// The navigator's choice among measured candidates.
public struct NavigatorChoice: Sendable, Equatable {
    /// Index of the chosen candidate (the closest one when none meets the constraints).
    public var index: Int
    /// Whether it meets every constraint.
    public var meetsConstraints: Bool
    /// Why it was chosen, in one sentence.
    public var reason: String
    /// When nothing qualifies: what the closest candidate fails, by how much.
    public var violations: [String]
}

public enum Navigator {
    /// Chooses the cheapest candidate whose metric is within `tolerance` of the best metric
    /// among those meeting `constraints`; cost per million predictions decides, then p50
    /// latency, then bytes. When no candidate meets the constraints, returns the closest one
    /// (``NavigatorConstraints/distance(_:)``) with what it fails. Candidates with a non-finite
    /// metric never qualify. Nil only for an empty list.
    public static func choose(_ candidates: [NavigatorCandidate], constraints: NavigatorConstraints = NavigatorConstraints(),
                              tolerance: Double) -> NavigatorChoice? {
        guard !candidates.isEmpty else { return nil }
        let eligible = candidates.indices.filter { candidates[$0].metric.isFinite && constraints.violations(candidates[$0]).isEmpty }
        guard let best = eligible.map({ candidates[$0].metric }).max() else {
            let closest = candidates.indices.min { constraints.distance(candidates[$0]) < constraints.distance(candidates[$1]) }!
            return NavigatorChoice(index: closest, meetsConstraints: false,
                                   reason: "no candidate meets the constraints; \(candidates[closest].name) comes closest",
                                   violations: constraints.violations(candidates[closest]))
        }
        let near = eligible.filter { candidates[$0].metric >= best - tolerance }
        let chosen = near.min { a, b in
            let x = candidates[a], y = candidates[b]
            if x.costPerMillion != y.costPerMillion { return x.costPerMillion < y.costPerMillion }
            if x.speed.latencyP50Microseconds != y.speed.latencyP50Microseconds { return x.speed.latencyP50Microseconds < y.speed.latencyP50Microseconds }
            return x.bytes < y.bytes
        }!
        let what = constraints.isEmpty ? "" : " meeting the constraints"
        return NavigatorChoice(index: chosen, meetsConstraints: true,
                               reason: String(format: "the cheapest candidate%@ within %.4g of the best metric (%.4f)", what, tolerance, best),
                               violations: [])
    }
}
