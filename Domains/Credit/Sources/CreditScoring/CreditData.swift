import Foundation
import LeptonCore
import LeptonIO

/// What a column of an applicant file is for the scorecard.
public enum CharacteristicKind: String, Codable, Sendable, CaseIterable {
    /// Ordered values, binned by cut points.
    case numeric
    /// Text levels, grouped by event rate.
    case categorical
}

/// An optional schema file (JSON) that overrides what is inferred from the data:
///
/// ```json
/// {
///   "id": "applicant_id",
///   "columns": {
///     "bureau_score": { "type": "numeric", "special_values": ["-999"], "trend": "descending" },
///     "postcode":     { "type": "categorical" },
///     "free_text":    { "type": "exclude" }
///   }
/// }
/// ```
///
/// `type` is `numeric`, `categorical` or `exclude`; `special_values` are values that mean
/// something other than their number (−999 "no bureau record") and get a bin of their own;
/// `trend` overrides the binning's monotonic trend for that column.
public struct CreditSchema: Codable, Sendable, Equatable {
    /// Per-column settings.
    public struct ColumnSpec: Codable, Sendable, Equatable {
        public var type: String?
        public var specialValues: [String]?
        public var trend: MonotonicTrend?

        enum CodingKeys: String, CodingKey {
            case type
            case specialValues = "special_values"
            case trend
        }

        public init(type: String? = nil, specialValues: [String]? = nil, trend: MonotonicTrend? = nil) {
            self.type = type
            self.specialValues = specialValues
            self.trend = trend
        }
    }

    /// The identifier column, carried through to scores and never used as a characteristic.
    public var id: String?
    public var columns: [String: ColumnSpec]

    public init(id: String? = nil, columns: [String: ColumnSpec] = [:]) {
        self.id = id
        self.columns = columns
    }

    /// Reads a schema file, with a clear message for malformed JSON or unknown types.
    public static func read(path: String) throws -> CreditSchema {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError("\(path): cannot read the schema file", hint: "check the path given to --schema.")
        }
        let schema: CreditSchema
        do {
            schema = try JSONDecoder().decode(CreditSchema.self, from: data)
        } catch {
            throw DataError("\(path): the schema is not valid (\(error))",
                              hint: "write {\"id\": \"…\", \"columns\": {\"name\": {\"type\": \"numeric\", \"special_values\": [\"-999\"]}}}.")
        }
        for (name, spec) in schema.columns {
            if let type = spec.type, !["numeric", "categorical", "exclude"].contains(type) {
                throw DataError("\(path): column '\(name)' has type '\(type)'",
                                  hint: "use numeric, categorical or exclude.")
            }
            if spec.type == "numeric" {
                for value in spec.specialValues ?? [] where Double(value) == nil {
                    throw DataError("\(path): special value '\(value)' of numeric column '\(name)' is not a number",
                                      hint: "special values of numeric columns are numbers such as \"-999\".")
                }
            }
        }
        return schema
    }
}

/// The outcome of a loan: which column, which value means default ("bad"), and the other one.
public struct OutcomeDefinition: Codable, Sendable, Equatable {
    public var column: String
    public var badValue: String
    /// The one other value found in the training data (the "good" outcome).
    public var goodValue: String

    public init(column: String, badValue: String, goodValue: String) {
        self.column = column
        self.badValue = badValue
        self.goodValue = goodValue
    }
}

/// One characteristic's training values: numbers (NaN = missing) or category texts (nil = missing).
public enum CharacteristicValues: Sendable {
    case numeric([Double])
    case categorical(codes: [Int32], levels: [String])

    public var count: Int {
        switch self {
        case let .numeric(values): return values.count
        case let .categorical(codes, _): return codes.count
        }
    }
}

/// A characteristic of the training data, ready for binning.
public struct Characteristic: Sendable {
    public let name: String
    public let kind: CharacteristicKind
    public let values: CharacteristicValues
    /// Values with a meaning of their own (−999), as written in the schema.
    public let specialValues: [String]
    /// A trend fixed by the schema, overriding the binning configuration's.
    public let trend: MonotonicTrend?
}

/// A loan file read for training or validation: labels (1 = bad), characteristics and IDs.
///
/// Column kinds are inferred (a column is numeric when every non-missing value is a number)
/// unless the schema says otherwise; malformed rows and rows whose declared-numeric fields
/// hold text are left out and counted in ``rejected``.
public struct CreditDataset: Sendable {
    public let path: String
    public let outcome: OutcomeDefinition
    /// 1 for bad (the `--bad` value), 0 for good.
    public let labels: [Double]
    public let characteristics: [Characteristic]
    /// The identifier column's name and values, when there is one.
    public let idColumn: String?
    public let ids: [String]
    public let rowsRead: Int
    public let rejected: [CSVRowError]
    /// Columns left out because every value is missing (to report).
    public var allMissing: [String] = []

    public var count: Int { labels.count }
    public var badCount: Int { labels.reduce(0) { $0 + ($1 == 1 ? 1 : 0) } }

    /// Reads a training file. `bad` is the target value meaning default; the target must have
    /// exactly one other value. Throws ``DataError`` for an empty file, a header without
    /// rows, a missing target or ID column, a target with a third value or missing values,
    /// and for a file with no usable characteristic. The file is read on `threads` cores.
    public static func load(path: String, target: String, bad: String, id: String? = nil,
                            schema: CreditSchema = CreditSchema(), threads: Int = ThreadCount.auto.resolved) throws -> CreditDataset {
        let idName = id ?? schema.id
        var kinds: [String: TabularTable.Kind] = [target: .categorical]
        if let idName { kinds[idName] = .text }
        let header = try CSVReader(path: path).columns  // a CSVFileError says what is wrong, with its hint
        guard header.contains(target) else {
            throw DataError("\(path): no target column '\(target)' (columns: \(header.prefix(12).joined(separator: ", ")))",
                              hint: "name the outcome column with --target, spelled as in the header.")
        }
        if let idName, !header.contains(idName) {
            throw DataError("\(path): no ID column '\(idName)'", hint: "check --id or the schema's \"id\".")
        }
        for (name, spec) in schema.columns {
            guard header.contains(name) else {
                throw DataError("\(path): the schema names column '\(name)', which the file lacks", hint: "fix the schema or the file.")
            }
            if name == target || name == idName { continue }
            switch spec.type {
            case "numeric": kinds[name] = .numeric
            case "categorical": kinds[name] = .categorical
            default: break
            }
        }
        let table = try TabularTable.read(path: path, kinds: kinds, threads: threads)
        guard table.rowsRead > 0 else {
            throw DataError("\(path): the file has a header but no data rows", hint: "a training file needs past loans, one per row.")
        }
        guard table.rowCount > 0 else {
            throw DataError("\(path): every one of the \(table.rowsRead) rows was rejected (first: \(table.rejected.first.map { "\($0)" } ?? "?"))",
                              hint: "check the delimiter and the quoting.")
        }
        let outcome = try table.column(target)
        if outcome.missingCount > 0 {
            let row = outcome.codes.firstIndex(of: -1) ?? 0
            throw DataError("\(path): the target '\(target)' is missing in \(outcome.missingCount) rows (the first is data row \(row + 1))",
                              hint: "every past loan needs its outcome; remove the rows without one.")
        }
        guard let badCode = outcome.levels.firstIndex(of: bad) else {
            throw DataError("\(path): the target '\(target)' never takes the value '\(bad)' (values: \(outcome.levels.prefix(6).joined(separator: ", ")))",
                              hint: "--bad names the value meaning default, spelled as in the file.")
        }
        let others = outcome.levels.filter { $0 != bad }
        guard others.count == 1 else {
            if others.isEmpty {
                throw DataError("\(path): every loan has outcome '\(bad)'", hint: "a scorecard needs both good and bad loans.")
            }
            throw DataError("\(path): the target '\(target)' has \(outcome.levels.count) values (\(outcome.levels.prefix(6).joined(separator: ", "))); a binary outcome needs exactly two",
                              hint: "recode the outcome to two values (say good/bad), or drop the rows with the third.")
        }
        let labels = outcome.codes.map { $0 == Int32(badCode) ? 1.0 : 0.0 }
        var characteristics: [Characteristic] = []
        var allMissing: [String] = []
        for column in table.columns where column.name != target && column.name != idName {
            let spec = schema.columns[column.name]
            if spec?.type == "exclude" { continue }
            if column.missingCount == table.rowCount {  // nothing to learn from
                allMissing.append(column.name)
                continue
            }
            let values: CharacteristicValues = column.kind == .numeric
                ? .numeric(column.numbers) : .categorical(codes: column.codes, levels: column.levels)
            characteristics.append(Characteristic(name: column.name, kind: column.kind == .numeric ? .numeric : .categorical,
                                                  values: values, specialValues: spec?.specialValues ?? [], trend: spec?.trend))
        }
        guard !characteristics.isEmpty else {
            throw DataError("\(path): no column other than the target and ID has any value", hint: "add applicant characteristics.")
        }
        let ids = try idName.map { try table.column($0).texts } ?? []
        var dataset = CreditDataset(path: path, outcome: OutcomeDefinition(column: target, badValue: bad, goodValue: others[0]),
                                    labels: labels, characteristics: characteristics, idColumn: idName, ids: ids,
                                    rowsRead: table.rowsRead, rejected: table.rejected)
        dataset.allMissing = allMissing
        return dataset
    }

    /// The rows `rows` of this dataset (for cross-validation folds).
    public func subset(_ rows: [Int]) -> CreditDataset {
        let chars = characteristics.map { c -> Characteristic in
            let values: CharacteristicValues
            switch c.values {
            case let .numeric(v): values = .numeric(rows.map { v[$0] })
            case let .categorical(codes, levels): values = .categorical(codes: rows.map { codes[$0] }, levels: levels)
            }
            return Characteristic(name: c.name, kind: c.kind, values: values, specialValues: c.specialValues, trend: c.trend)
        }
        return CreditDataset(path: path, outcome: outcome, labels: rows.map { labels[$0] }, characteristics: chars,
                             idColumn: idColumn, ids: ids.isEmpty ? [] : rows.map { ids[$0] }, rowsRead: rows.count, rejected: [])
    }

    /// Seeded stratified k-fold assignment: the fold of each row, bads and goods spread evenly.
    public func stratifiedFolds(_ k: Int, seed: UInt64) -> [Int] {
        LeptonCore.stratifiedFolds(labels: labels, folds: k, seed: seed)
    }
}

