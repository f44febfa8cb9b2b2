/// The speed/cost navigator's search: successive halving over a domain's candidates
/// (``SuccessiveHalving``, promotion by Pareto rank over metric, latency, size and cost), then
/// the choice (``Navigator/choose(_:constraints:tolerance:)``) among the candidates measured at
/// full fidelity.
public enum NavigatorSearch {
    public struct Result: Sendable {
        /// Every candidate measured, at the highest fidelity it reached (nil: it failed).
        public var measured: [NavigatorCandidate?]
        /// Why a candidate failed, by index.
        public var errors: [Int: String]
        /// Indices measured at full fidelity.
        public var finalists: [Int]
        /// The choice among the finalists (or, when the search stopped before any, among the
        /// highest fidelity reached, which ``Result/choiceAtFullFidelity`` says).
        public var choice: NavigatorChoice?
        public var choiceAtFullFidelity: Bool
        /// Training compute seconds the search spent (training and compressing; measuring aside).
        public var computeSeconds: Double
        public var stoppedEarly: Bool
    }

    /// Runs the search. `evaluate(i, fidelity)` trains candidate i at `fidelity` (1 = full)
    /// and measures it, returning the candidate and the compute seconds this evaluation really
    /// spent (less than the candidate's training seconds when it reused a model trained for
    /// another candidate); `shouldStop` is asked before each evaluation (budget, SIGINT).
    public static func run(count: Int, fidelities: [Double], eta: Int = 3, constraints: NavigatorConstraints,
                           tolerance: Double, shouldStop: () -> Bool,
                           evaluate: (_ candidate: Int, _ fidelity: Double) throws -> (candidate: NavigatorCandidate, computeSeconds: Double)) -> Result {
        var measured = [NavigatorCandidate?](repeating: nil, count: count)
        let search = SuccessiveHalving.run(count: count, fidelities: fidelities, eta: eta, directions: NavigatorCandidate.directions,
                                           shouldStop: shouldStop,
                                           shortfall: { i in measured[i].map(constraints.distance) ?? .infinity }) { i, _, fidelity in
            let (c, spent) = try evaluate(i, fidelity)
            measured[i] = c
            return SuccessiveHalving.Evaluation(objectives: c.objectives, computeSeconds: spent)
        }
        var errors: [Int: String] = [:]
        for o in search.outcomes { if let e = o.error { errors[o.candidate] = e } }
        var pool = search.finalists
        var full = true
        if pool.isEmpty {
            // Stopped before the last rung: choose among the highest fidelity reached, and say so.
            let top = measured.compactMap { $0?.fidelity }.max()
            pool = measured.indices.filter { measured[$0] != nil && measured[$0]!.fidelity == top }
            full = false
        }
        let choice = Navigator.choose(pool.map { measured[$0]! }, constraints: constraints, tolerance: tolerance).map { c -> NavigatorChoice in
            var c = c
            c.index = pool[c.index]
            return c
        }
        return Result(measured: measured, errors: errors, finalists: search.finalists, choice: choice, choiceAtFullFidelity: full,
                      computeSeconds: search.computeSeconds, stoppedEarly: search.stoppedEarly)
    }
}
