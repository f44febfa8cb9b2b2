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
