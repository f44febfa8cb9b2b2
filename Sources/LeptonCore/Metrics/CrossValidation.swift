/// Seeded stratified k-fold assignment: the fold (0..<k) of each row. Each class's rows are
/// shuffled with `SeededGenerator(seed:)` and dealt round-robin, so every fold gets its share of
/// each class (±1) and the same labels and seed always give the same folds.
public func stratifiedFolds(labels: [Double], folds k: Int, seed: UInt64) -> [Int] {
    precondition(k >= 2, "stratifiedFolds: k must be at least 2")
    var rng = SeededGenerator(seed: seed)
    var fold = [Int](repeating: 0, count: labels.count)
    for cls in Set(labels).sorted() {
        var rows = labels.indices.filter { labels[$0] == cls }
        rows.shuffle(using: &rng)
        for (position, row) in rows.enumerated() { fold[row] = position % k }
    }
    return fold
}

/// Seeded grouped k-fold assignment: every row of one group (a patient, a machine) gets the same
/// fold, so no group is on both sides of a split. Groups are stratified by their largest label:
/// each such stratum's groups are shuffled with `SeededGenerator(seed:)` and dealt to the fold
/// with the fewest rows of that stratum so far (ties: the fewest rows in all, then the lowest
/// fold), so each fold gets its share of every stratum and folds stay near equal in rows even
/// when groups differ in size. Groups are compared by name; with every group of one row each
/// fold gets every class's share ±1, as in a stratified split.
public func groupedFolds(labels: [Double], groups: [String], folds k: Int, seed: UInt64) -> [Int] {
    precondition(k >= 2, "groupedFolds: k must be at least 2")
    precondition(groups.count == labels.count, "groupedFolds: \(groups.count) groups for \(labels.count) rows")
    var rowsOf: [String: [Int]] = [:]
    for (row, g) in groups.enumerated() { rowsOf[g, default: []].append(row) }
    let stratum = rowsOf.mapValues { rows in rows.map { labels[$0] }.max()! }
    var rng = SeededGenerator(seed: seed)
    var fold = [Int](repeating: 0, count: labels.count)
    var size = [Int](repeating: 0, count: k)
    for level in Set(stratum.values).sorted() {
        var names = stratum.filter { $0.value == level }.map(\.key).sorted()
        names.shuffle(using: &rng)
        var inStratum = [Int](repeating: 0, count: k)
        for name in names {
            let target = size.indices.min { (inStratum[$0], size[$0]) < (inStratum[$1], size[$1]) }!
            let count = rowsOf[name]!.count
            for row in rowsOf[name]! { fold[row] = target }
            size[target] += count
            inStratum[target] += count
        }
    }
    return fold
}

/// What ``crossValidate(labels:weights:groups:folds:seed:fitAndScore:metric:)`` found.
public struct CrossValidationResult: Sendable, Equatable {
    /// Each row's score from the model that did not train on it.
    public var outOfFoldScores: [Double]
    /// The metric on each fold's test rows, fold 0 first (NaN where the metric is nil).
    public var foldValues: [Double]
    /// The arithmetic mean of `foldValues` (NaN when any fold's value is NaN).
    public var mean: Double

    public init(outOfFoldScores: [Double], foldValues: [Double], mean: Double) {
        self.outOfFoldScores = outOfFoldScores
        self.foldValues = foldValues
        self.mean = mean
    }
}

/// Stratified k-fold cross-validation of any model and metric.
///
/// The folds are ``stratifiedFolds(labels:folds:seed:)``, or ``groupedFolds(labels:groups:folds:seed:)``
/// when `groups` is given (no group on both sides). For each fold f = 0..<k,
/// `fitAndScore(train, test)` gets the row indices outside and inside the fold (each ascending),
/// fits on `train` and returns one score per `test` row in that order; the scores go to those
/// rows' places in `outOfFoldScores`, and `metric(labels, scores, weights)` of the fold's test
/// rows (their weights, when `weights` is given) becomes `foldValues[f]` (nil → NaN). `mean`
/// is the mean of the fold values. Returning the wrong number of scores is a programmer error.
public func crossValidate(labels: [Double], weights: [Double]? = nil, groups: [String]? = nil, folds k: Int, seed: UInt64,
                          fitAndScore: (_ train: [Int], _ test: [Int]) throws -> [Double],
                          metric: (_ labels: [Double], _ scores: [Double], _ weights: [Double]?) -> Double?)
    rethrows -> CrossValidationResult {
    precondition(weights == nil || weights!.count == labels.count,
                 "crossValidate: \(weights?.count ?? 0) weights for \(labels.count) rows")
    let fold = groups.map { groupedFolds(labels: labels, groups: $0, folds: k, seed: seed) } ?? stratifiedFolds(labels: labels, folds: k, seed: seed)
    var outOfFold = [Double](repeating: .nan, count: labels.count)
    var values: [Double] = []
    for f in 0..<k {
        let test = labels.indices.filter { fold[$0] == f }
        let train = labels.indices.filter { fold[$0] != f }
        let scores = try fitAndScore(train, test)
        precondition(scores.count == test.count, "crossValidate: \(scores.count) scores for \(test.count) test rows")
        for (row, score) in zip(test, scores) { outOfFold[row] = score }
        let value = metric(test.map { labels[$0] }, scores, weights.map { w in test.map { w[$0] } })
        values.append(value ?? .nan)
    }
    return CrossValidationResult(outOfFoldScores: outOfFold, foldValues: values,
                                 mean: values.reduce(0, +) / Double(values.count))
}

/// The rows of a `tune` run, three disjoint sets: `holdout` every figure is measured on (a
/// seeded stratified quarter, or none when `holdOut` is false because the caller has its own
/// held-out data), `choice` the compressions choose their sizes on (a seeded stratified fifth of
/// the rest) and `fit` the models are fitted on (the other four fifths). Indices into `labels`.
public func tuningSplit(labels: [Double], holdOut: Bool, seed: UInt64) -> (fit: [Int], choice: [Int], holdout: [Int]) {
    var rest = Array(labels.indices), holdout: [Int] = []
    if holdOut {
        let quarters = stratifiedFolds(labels: labels, folds: 4, seed: seed)
        rest = labels.indices.filter { quarters[$0] != 0 }
        holdout = labels.indices.filter { quarters[$0] == 0 }
    }
    let fifths = stratifiedFolds(labels: rest.map { labels[$0] }, folds: 5, seed: seed &+ 3)
    return (rest.indices.filter { fifths[$0] != 0 }.map { rest[$0] }, rest.indices.filter { fifths[$0] == 0 }.map { rest[$0] }, holdout)
}
