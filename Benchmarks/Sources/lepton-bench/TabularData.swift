import LeptonCore
import LeptonIO

/// A CSV table turned into what the tabular models take: a target in {0, 1} and features.
struct TabularProblem {
    let table: TabularTable
    let labels: [Double]
    /// Feature columns (target and dropped columns excluded).
    let features: [TabularTable.Column]
    let positive: String

    /// Reads `path`, takes `target` as the outcome (`positive` is the value meaning 1; by default
    /// the second of the two values in sorted order) and drops `drop`.
    init(path: String, target: String, positive: String?, drop: [String]) throws {
        table = try TabularTable.read(path: path, kinds: [target: .categorical])
        let outcome = try table.column(target)
        let values = outcome.levels.sorted()
        guard values.count == 2 else {
            throw BenchError("\(path): target column '\(target)' has \(values.count) distinct values (\(values.prefix(5).joined(separator: ", "))); a binary outcome needs exactly 2")
        }
        let chosen = positive ?? values[1]
        guard let positiveCode = outcome.levels.firstIndex(of: chosen) else {
            throw BenchError("\(path): --positive '\(chosen)' is not a value of '\(target)' (values: \(values.joined(separator: ", ")))")
        }
        if outcome.missingCount > 0 {
            throw BenchError("\(path): target column '\(target)' is missing in \(outcome.missingCount) rows")
        }
        for name in drop where !table.columns.contains(where: { $0.name == name }) {
            throw BenchError("\(path): --drop names no column '\(name)'")
        }
        labels = outcome.codes.map { $0 == Int32(positiveCode) ? 1 : 0 }
        features = table.columns.filter { $0.name != target && !drop.contains($0.name) }
        self.positive = chosen
    }

    /// The features of `rows` for the trees: numbers as they are (NaN missing), categories as
    /// their codes (NaN missing).
    func featureColumns(rows: [Int]) -> FeatureColumns {
        let columns: [[Float]] = features.map { column in
            switch column.kind {
            case .numeric: return rows.map { Float(column.numbers[$0]) }
            case .categorical: return rows.map { column.codes[$0] < 0 ? .nan : Float(column.codes[$0]) }
            case .text: preconditionFailure("text columns come only when asked for, and the problem asks for none")
            }
        }
        return FeatureColumns(columns: columns, names: features.map(\.name),
                              kinds: features.map { $0.kind == .numeric ? .numeric : .categorical })
    }

    /// Seeded stratified k-fold assignment: fold index per row.
    func folds(_ k: Int, seed: UInt64) -> [Int] { stratifiedFolds(labels: labels, folds: k, seed: seed) }
}

/// One-hot encoding for linear models, fitted on training rows: numeric columns standardised
/// by the solver, missing numbers imputed with the training mean plus a missing indicator;
/// each category a 0/1 column (missing and unseen categories are all zeros).
struct OneHotEncoder {
    private enum Part {
        case numeric(column: Int, mean: Double, indicator: Bool)
        case category(column: Int, levels: Int)
    }
    private let parts: [Part]
    let width: Int

    init(_ features: [TabularTable.Column], rows: [Int]) {
        var parts: [Part] = []
        var width = 0
        for (c, column) in features.enumerated() {
            switch column.kind {
            case .numeric:
                var sum = 0.0, count = 0, missing = false
                for i in rows {
                    let v = column.numbers[i]
                    if v.isNaN { missing = true } else { sum += v; count += 1 }
                }
                parts.append(.numeric(column: c, mean: count > 0 ? sum / Double(count) : 0, indicator: missing))
                width += missing ? 2 : 1
            case .categorical:
                parts.append(.category(column: c, levels: column.levels.count))
                width += column.levels.count
            case .text:
                preconditionFailure("text columns come only when asked for, and the problem asks for none")
            }
        }
        self.parts = parts
        self.width = width
    }

    func matrix(_ features: [TabularTable.Column], rows: [Int]) -> DesignMatrix {
        var values = [Double](repeating: 0, count: rows.count * width)
        for (r, i) in rows.enumerated() {
            var offset = r * width
            for part in parts {
                switch part {
                case let .numeric(c, mean, indicator):
                    let v = features[c].numbers[i]
                    values[offset] = v.isNaN ? mean : v
                    if indicator { values[offset + 1] = v.isNaN ? 1 : 0 }
                    offset += indicator ? 2 : 1
                case let .category(c, levels):
                    let code = Int(features[c].codes[i])
                    if code >= 0 && code < levels { values[offset + code] = 1 }
                    offset += levels
                }
            }
        }
        return DesignMatrix(rows: rows.count, columns: width, values: values)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
