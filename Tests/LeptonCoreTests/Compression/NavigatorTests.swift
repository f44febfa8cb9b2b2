import XCTest
@testable import LeptonCore

final class NavigatorTests: XCTestCase {
    private let dirs: [ParetoFront.Direction] = [.maximize, .minimize]

    func testParetoRanksMatchABruteForcePeelingOnRandomPoints() {
        var rng = SeededGenerator(seed: 3)
        for trial in 0..<50 {
            let n = 1 + rng.nextInt(below: 30)
            // Few distinct values: ties are common.
            let points = (0..<n).map { _ in [Double(rng.nextInt(below: 5)), Double(rng.nextInt(below: 5))] }
            let ranks = ParetoFront.ranks(points, dirs)
            for i in 0..<n {
                // Rank r: some point of rank r − 1 dominates it, none of rank ≥ r does.
                let dominators = (0..<n).filter { ParetoFront.dominates(points[$0], points[i], dirs) }
                XCTAssertTrue(dominators.allSatisfy { ranks[$0] < ranks[i] }, "trial \(trial)")
                if ranks[i] > 0 { XCTAssertTrue(dominators.contains { ranks[$0] == ranks[i] - 1 }, "trial \(trial)") }
            }
        }
    }

    func testNonFiniteValuesAreDominated() {
        let ranks = ParetoFront.ranks([[.nan, 3], [0.5, 2], [0.9, .infinity]], dirs)
        XCTAssertEqual(ranks[1], 0)
        XCTAssertGreaterThan(ranks[0], 0)
    }

    func testSuccessiveHalvingPromotesTheFrontierAndSpendsLessThanExhaustive() {
        // Candidate c has quality c/20 at full fidelity, seen with a fidelity-dependent bias that
        // keeps the order; cost grows with fidelity.
        let result = SuccessiveHalving.run(count: 27, fidelities: [1.0 / 9, 1.0 / 3, 1], eta: 3, directions: [.maximize]) { c, _, f in
            SuccessiveHalving.Evaluation(objectives: [Double(c) / 20 * f], computeSeconds: f)
        }
        XCTAssertEqual(result.finalists.sorted(), [24, 25, 26])
        let expected: Double = 27.0 / 9 + 9.0 / 3 + 3.0  // 27 at 1/9, 9 at 1/3, 3 at full
        XCTAssertEqual(result.computeSeconds, expected, accuracy: 1e-9)
        XCTAssertLessThan(result.computeSeconds, 27 * 0.4)
        XCTAssertFalse(result.stoppedEarly)
    }

    func testSuccessiveHalvingKeepsWhatItMeasuredWhenStoppedAndRecordsFailures() {
        var calls = 0
        struct Boom: Error {}
        let result = SuccessiveHalving.run(count: 6, fidelities: [0.5, 1], eta: 2, directions: [.maximize],
                                           shouldStop: { calls >= 4 }) { c, _, _ in
            calls += 1
            if c == 1 { throw Boom() }
            return SuccessiveHalving.Evaluation(objectives: [Double(c)], computeSeconds: 1)
        }
        XCTAssertTrue(result.stoppedEarly)
        XCTAssertEqual(result.outcomes.filter { $0.evaluation != nil }.map(\.candidate), [0, 2, 3])
        XCTAssertNotNil(result.outcomes[1].error)
        XCTAssertTrue(result.finalists.isEmpty)
    }

    private func candidate(_ name: String, metric: Double, latency: Double, bytes: Int, cost: Double) -> NavigatorCandidate {
        NavigatorCandidate(name: name, metric: metric,
                           speed: SpeedMeasurement(latencyP50Microseconds: latency, latencyP99Microseconds: latency * 2, throughput: 1e6 / latency,
                                                   batchSize: 1, threads: 1),
                           bytes: bytes, costPerMillion: cost, trainingSeconds: 1, trainingCost: 0)
    }

    func testChoosesTheCheapestWithinToleranceAndExplainsFailedConstraints() {
        let cs = [candidate("big", metric: 0.90, latency: 100, bytes: 10_000, cost: 3),
                  candidate("small", metric: 0.897, latency: 20, bytes: 2_000, cost: 1),
                  candidate("tiny", metric: 0.85, latency: 5, bytes: 500, cost: 0.2)]
        let free = Navigator.choose(cs, tolerance: 0.005)!
        XCTAssertEqual(free.index, 1)
        XCTAssertTrue(free.meetsConstraints)
        let fast = Navigator.choose(cs, constraints: NavigatorConstraints(maxLatencyMicroseconds: 10), tolerance: 0.005)!
        XCTAssertEqual(fast.index, 2)
        let impossible = Navigator.choose(cs, constraints: NavigatorConstraints(minMetric: 0.95, maxSizeKB: 0.1), tolerance: 0.005)!
        XCTAssertFalse(impossible.meetsConstraints)
        XCTAssertEqual(impossible.violations.count, 2)
        XCTAssertTrue(impossible.violations[0].contains("below --min-metric"), impossible.violations[0])
        XCTAssertNil(Navigator.choose([], tolerance: 0))
    }

    func testCostModelAndNearestRank() {
        let cost = CostModel(cpuHourPrice: 3.6)
        XCTAssertEqual(cost.costPerMillion(cpuSecondsPerPrediction: 1e-3), 1,  accuracy: 1e-9)
        XCTAssertEqual(cost.cost(cpuSeconds: 7200), 7.2, accuracy: 1e-12)
        XCTAssertEqual(SpeedMeter.nearestRank([1, 2, 3, 4], 0.5), 2)
        XCTAssertEqual(SpeedMeter.nearestRank(Array(1...100).map(Double.init), 0.99), 99)
        let s = SpeedMeasurement(latencyP50Microseconds: 1, latencyP99Microseconds: 2, throughput: 1000, batchSize: 10, threads: 2)
        XCTAssertEqual(s.cpuSecondsPerRecord, 0.002)
    }

    func testPairedBootstrapOfAnUnchangedModelIsZero() {
        var rng = SeededGenerator(seed: 9)
        let labels = (0..<300).map { _ in Double(rng.nextInt(below: 2)) }
        let scores = labels.map { $0 + rng.normal() }
        let same = pairedBootstrapDifference(labels: labels, before: scores, after: scores, replicates: 200, seed: 1) {
            rocAUC(labels: $0, scores: $1)
        }!
        XCTAssertEqual(same.difference!.lower, 0)
        XCTAssertEqual(same.difference!.upper, 0)
        let noisy = scores.map { $0 + 2 * rng.normal() }
        let worse = pairedBootstrapDifference(labels: labels, before: scores, after: noisy, replicates: 200, seed: 1) {
            rocAUC(labels: $0, scores: $1)
        }!
        XCTAssertLessThan(worse.difference!.upper, 0, "a much noisier score loses AUC with confidence")
    }
}

final class ConstrainedHalvingTests: XCTestCase {
    func testCandidatesMeetingTheConstraintsAreNeverDroppedForOnesThatDoNot() {
        // Quality rises with the index, but only candidates 0…2 meet the constraint.
        let result = SuccessiveHalving.run(count: 9, fidelities: [0.5, 1], eta: 3, directions: [.maximize],
                                           shortfall: { $0 < 3 ? 0 : 1 }) { c, _, f in
            SuccessiveHalving.Evaluation(objectives: [Double(c) * f], computeSeconds: f)
        }
        XCTAssertEqual(result.finalists.sorted(), [0, 1, 2])
    }

    func testAStopInTheLastRungKeepsItsFullFidelityMeasurements() {
        var calls = 0
        let result = SuccessiveHalving.run(count: 9, fidelities: [0.5, 1], eta: 3, directions: [.maximize],
                                           shouldStop: { calls >= 10 }) { c, _, _ in
            calls += 1
            return SuccessiveHalving.Evaluation(objectives: [Double(c)], computeSeconds: 1)
        }
        XCTAssertTrue(result.stoppedEarly)
        XCTAssertEqual(result.finalists, [8], "9 at rung 0, then one of the three promoted before the stop")
    }
}

final class TuningSplitTests: XCTestCase {
    func testThreeDisjointSetsCoverTheRowsAndKeepBothClasses() {
        var rng = SeededGenerator(seed: 6)
        for n in [20, 101, 1000] {
            let labels = (0..<n).map { _ in Double(rng.nextInt(below: 4) == 0 ? 1 : 0) } + [1, 0]
            for holdOut in [true, false] {
                let s = tuningSplit(labels: labels, holdOut: holdOut, seed: 3)
                XCTAssertEqual((s.fit + s.choice + s.holdout).sorted(), Array(labels.indices), "\(n) \(holdOut)")
                XCTAssertEqual(s.holdout.isEmpty, !holdOut)
                XCTAssert(s.choice.contains { labels[$0] == 1 } && s.choice.contains { labels[$0] == 0 } || n < 50)
                XCTAssertEqual(tuningSplit(labels: labels, holdOut: holdOut, seed: 3).fit, s.fit, "seeded")
            }
        }
    }
}
