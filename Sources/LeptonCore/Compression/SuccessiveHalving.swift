/// Successive halving with promotion by Pareto rank, so it works with several objectives.
///
/// Rung 0 evaluates every candidate at the cheapest fidelity (fewer epochs or trees, a sample
/// of the data). After each rung the candidates are ordered by Pareto rank over their
/// objectives (``ParetoFront/ranks(_:_:)``), ties broken by the first objective, and the best
/// ⌈n/η⌉ are promoted to the next fidelity; the last rung's survivors are evaluated at full
/// fidelity. With n candidates and R rungs the work is about n·(f₀ + f₁/η + f₂/η² …) instead
/// of n·f_full for an exhaustive search.
///
/// A candidate whose evaluation throws is dropped with its error recorded. `shouldStop` is
/// asked before every evaluation (a deadline, SIGINT): once it answers true the search stops
/// and returns what it has measured, with ``Result/stoppedEarly`` set.
public enum SuccessiveHalving {
    /// One measured evaluation.
    public struct Evaluation: Sendable, Equatable {
        /// One value per objective, in the order of the directions given to ``run(count:fidelities:eta:directions:shouldStop:evaluate:)``.
        public var objectives: [Double]
        /// Compute seconds the evaluation took (training included): what the search spends.
        public var computeSeconds: Double

        public init(objectives: [Double], computeSeconds: Double) {
            self.objectives = objectives
            self.computeSeconds = computeSeconds
        }
    }

    /// What the search found for one candidate.
    public struct Outcome: Sendable, Equatable {
        /// Index of the candidate.
        public var candidate: Int
        /// The highest rung it reached (0-based) and its evaluation there (nil if it failed at rung 0).
        public var rung: Int
        public var evaluation: Evaluation?
        /// Why its evaluation failed, if it did.
        public var error: String?
    }

    public struct Result: Sendable, Equatable {
        /// One outcome per candidate, in candidate order.
        public var outcomes: [Outcome]
        /// Candidates evaluated at full fidelity (the last rung).
        public var finalists: [Int]
        /// Σ compute seconds of every evaluation (what `evaluate` reported: training and compressing).
        public var computeSeconds: Double
        /// Whether `shouldStop` ended the search before it finished.
        public var stoppedEarly: Bool
    }

    /// Runs the search over `count` candidates. `evaluate(candidate, rung, fidelity)` trains
    /// and measures one candidate at one fidelity. `shortfall(candidate)` (0 when it meets every
    /// constraint, larger the further it is from them) is ranked before the Pareto rank, so that
    /// a candidate meeting the constraints is never dropped for one that does not.
    public static func run(count: Int, fidelities: [Double], eta: Int = 3, directions: [ParetoFront.Direction],
                           shouldStop: () -> Bool = { false }, shortfall: (Int) -> Double = { _ in 0 },
                           evaluate: (_ candidate: Int, _ rung: Int, _ fidelity: Double) throws -> Evaluation) -> Result {
        precondition(!fidelities.isEmpty && eta >= 2, "successive halving needs a fidelity and η ≥ 2")
        var outcomes = (0..<count).map { Outcome(candidate: $0, rung: 0, evaluation: nil, error: nil) }
        var alive = Array(0..<count)
        var spent = 0.0
        var stopped = false
        var finalists: [Int] = []
        rungs: for (rung, fidelity) in fidelities.enumerated() {
            var measured: [Int] = []
            for c in alive {
                if shouldStop() {
                    stopped = true
                    // Stopped in the last rung: what it measured there is at full fidelity.
                    if rung == fidelities.count - 1 { finalists = measured }
                    break rungs
                }
                do {
                    let e = try evaluate(c, rung, fidelity)
                    outcomes[c].rung = rung
                    outcomes[c].evaluation = e
                    spent += e.computeSeconds
                    measured.append(c)
                } catch {
                    outcomes[c].error = "\(error)"
                }
            }
            if rung == fidelities.count - 1 { finalists = measured; break }
            let keep = max(1, (measured.count + eta - 1) / eta)
            alive = Array(order(measured, outcomes, directions, shortfall: shortfall).prefix(keep))
        }
        return Result(outcomes: outcomes, finalists: finalists, computeSeconds: spent, stoppedEarly: stopped)
    }

    /// `candidates` best first: shortfall from the constraints, then Pareto rank, then the first objective.
    static func order(_ candidates: [Int], _ outcomes: [Outcome], _ directions: [ParetoFront.Direction],
                      shortfall: (Int) -> Double = { _ in 0 }) -> [Int] {
        let points = candidates.map { outcomes[$0].evaluation!.objectives }
        let ranks = ParetoFront.ranks(points, directions)
        let first = points.map { ParetoFront.oriented($0[0], directions[0]) }
        let short = candidates.map { c -> Double in let s = shortfall(c); return s.isNaN ? .infinity : s }
        return candidates.indices.sorted { a, b in
            if short[a] != short[b] { return short[a] < short[b] }
            return ranks[a] != ranks[b] ? ranks[a] < ranks[b] : (first[a] != first[b] ? first[a] > first[b] : candidates[a] < candidates[b])
        }.map { candidates[$0] }
    }
}
