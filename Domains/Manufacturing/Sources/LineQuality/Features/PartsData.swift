import Foundation
import LeptonCore
import LeptonIO

/// The features a model reads, as the model file keeps them so that scoring reads a new log the
/// same way: input columns (numeric, or categorical with their training levels) and derived
/// features by expression, in that order.
public struct FeatureSchema: Codable, Sendable, Equatable {
    public struct Input: Codable, Sendable, Equatable {
        public var name: String
        /// Training categories (in code order); nil for a numeric column.
        public var levels: [String]?
    }

    public var inputs: [Input]
    public var derived: [FeatureExpression]

    /// Every feature's name: the inputs, then the derived ones.
    public var names: [String] { inputs.map(\.name) + derived.map(\.name) }
    public var kinds: [FeatureColumns.Kind] { inputs.map { $0.levels == nil ? .numeric : .categorical } + derived.map { _ in .numeric } }
}

/// A per-part log (one row per produced part: readings and an outcome, like AI4I 2020) read
/// into model features: numeric readings as they are, text columns (AI4I's `Type`) as
/// categories, derived features by expression, and the outcome (1 for `positive`).
public struct PartsData: Sendable {
    public var schema: FeatureSchema
    /// One Float column per feature (categories as codes; NaN for missing or not finite).
    public var columns: [[Float]]
    /// 1 for the positive outcome (a failure), 0 otherwise; empty without a target.
    public var labels: [Double]
    public var rowsRead: Int
    public var rejected: [CSVRowError]
    /// Rows where a derived feature was not finite (division by zero, log of a negative…): NaN, counted.
    public var nonFiniteDerived: Int
    /// Text columns read alongside (`textColumns` of ``load``): a timestamp, a machine id.
    public var texts: [String: [String]] = [:]

    public var count: Int { columns.first?.count ?? labels.count }

    /// The rows `rows` (in that order): columns, labels and text columns alike.
    public func subset(_ rows: [Int]) -> PartsData {
        var out = self
        out.columns = columns.map { c in rows.map { c[$0] } }
        out.labels = labels.isEmpty ? [] : rows.map { labels[$0] }
        out.texts = texts.mapValues { t in rows.map { t[$0] } }
        return out
    }
    public var features: FeatureColumns { FeatureColumns(columns: columns, names: schema.names, kinds: schema.kinds) }

    /// Reads `path`: every column but the target, `drop` and (for scoring) those the schema does
    /// not name is a feature; `derived` expressions are checked against the header and applied.
    /// With `schema` (scoring, evaluation), the inputs and levels are the schema's.
    public static func load(path: String, target: String?, positive: String?, drop: [String] = [], derived: [FeatureExpression] = [],
                            schema: FeatureSchema? = nil, textColumns: [String] = [], threads: Int = ThreadCount.auto.resolved) throws -> PartsData {
        let header = try CSVReader(path: path).columns
        for name in drop + textColumns + [target].compactMap({ $0 }) where !header.contains(name) {
            throw DataError(file: path, field: name, message: "no such column (columns: \(header.prefix(12).joined(separator: ", ")))",
                            hint: "spell it as in the header; names with spaces and brackets as written, comma-separated for --drop.")
        }
        let inputs: [String] = schema?.inputs.map(\.name) ?? header.filter { $0 != target && !drop.contains($0) }
        for name in inputs where !header.contains(name) {
            throw DataError(file: path, field: name, message: "the model reads this column and the file lacks it",
                            hint: "score a file with the columns the model was trained on.")
        }
        let expressions = schema?.derived ?? derived
        for e in expressions {
            do { try e.check(against: header) } catch let error as FeatureExpressionError { throw DataError("\(path): \(error)", hint: "fix the --feature expression.") }
        }
        var kinds: [String: TabularTable.Kind] = [:]
        if let target { kinds[target] = .categorical }
        for input in schema?.inputs ?? [] { kinds[input.name] = input.levels == nil ? .numeric : .categorical }
        for name in textColumns { kinds[name] = .text }
        let table = try TabularTable.read(path: path, kinds: kinds, threads: threads)
        var columns: [[Float]] = [], schemaInputs: [FeatureSchema.Input] = []
        var numeric: [String: [Double]] = [:]
        for name in inputs {
            let column = try table.column(name)
            switch column.kind {
            case .numeric:
                columns.append(column.numbers.map { Float($0) })
                numeric[name] = column.numbers
                schemaInputs.append(.init(name: name, levels: nil))
            default:
                let levels = schema?.inputs.first { $0.name == name }?.levels ?? column.levels
                // Codes into the training levels; a category never seen in training past them all.
                let map = column.levels.map { level in Float(levels.firstIndex(of: level) ?? levels.count) }
                columns.append(column.codes.map { $0 < 0 ? .nan : map[Int($0)] })
                schemaInputs.append(.init(name: name, levels: levels))
            }
        }
        // Derived features read the numeric columns (a categorical one reads as its code).
        var nonFinite = 0
        let rows = table.rowCount
        var expressionInputs: [String: [Double]] = numeric
        for e in expressions {
            for name in e.columns where expressionInputs[name] == nil {
                let column = try table.column(name)
                expressionInputs[name] = column.kind == .numeric ? column.numbers : column.codes.map { $0 < 0 ? .nan : Double($0) }
            }
        }
        var bad = [Bool](repeating: false, count: rows)
        for e in expressions {
            let values = (0..<rows).map { i in e.evaluate { expressionInputs[$0]![i] } }
            for i in 0..<rows where values[i].isNaN && !e.columns.contains(where: { expressionInputs[$0]![i].isNaN }) { bad[i] = true }
            columns.append(values.map { Float($0) })
        }
        nonFinite = bad.filter { $0 }.count
        var labels: [Double] = []
        if let target, let positive {
            let column = try table.column(target)
            guard let code = column.levels.firstIndex(of: positive) else {
                throw DataError(file: path, field: target, message: "the target never takes the value '\(positive)' (values: \(column.levels.prefix(8).joined(separator: ", ")))",
                                hint: "give --positive as written in the file, e.g. 1.")
            }
            labels = column.codes.map { $0 == Int32(code) ? 1 : 0 }
        }
        var result = PartsData(schema: FeatureSchema(inputs: schemaInputs, derived: expressions), columns: columns, labels: labels,
                               rowsRead: table.rowsRead, rejected: table.rejected, nonFiniteDerived: nonFinite)
        for name in textColumns { result.texts[name] = try table.column(name).texts }
        return result
    }
}
