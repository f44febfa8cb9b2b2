import Foundation
import LeptonCore
import LeptonIO

/// Batch scoring's per-thread worker (LeptonCLI's batch job): one record of a log in, one line of
/// alerts out — the ID (or the row number), the score, the alert flag and, for alerted rows, the
/// three readings that contributed most (SHAP values for trees, robust z-scores for an anomaly
/// model). Text in a numeric reading rejects the record.
public final class AlertWorker: BatchWorker {
    let model: FailureModel
    /// Where each input of the schema sits in the file's columns.
    let inputColumns: [Int]
    let idColumn: Int?
    let names: [String]
    var row: [Float]
    var values: [String: Double] = [:]
    public private(set) var alerts = 0
    public private(set) var unseenCategories = 0
    public private(set) var nonFiniteDerived = 0

    /// The output header.
    public static func columns(for model: FailureModel, header: [String]) -> [String] {
        [model.spec.idColumn.flatMap { header.contains($0) ? $0 : nil } ?? "row", "score", "alert", "top_1", "top_2", "top_3"]
    }

    /// A worker for records with `header`; throws naming the columns the file lacks.
    public init(model: FailureModel, header: [String], path: String) throws {
        self.model = model
        names = model.spec.schema.names
        inputColumns = try model.spec.schema.inputs.map { input in
            guard let j = header.firstIndex(of: input.name) else {
                throw DataError(file: path, field: input.name, message: "the model reads this column and the file lacks it",
                                hint: "score a log with the columns the model was trained on.")
            }
            return j
        }
        for e in model.spec.schema.derived {
            do { try e.check(against: header) } catch let error as FeatureExpressionError { throw DataError("\(path): \(error)", hint: "score a log with the columns the model was trained on.") }
        }
        idColumn = model.spec.idColumn.flatMap { header.firstIndex(of: $0) }
        row = [Float](repeating: 0, count: names.count)
    }

    public func encode(_ record: CSVRow, into line: inout CSVLine) throws {
        let schema = model.spec.schema
        for (k, input) in schema.inputs.enumerated() {
            let j = inputColumns[k]
            if let levels = input.levels {
                if record.isMissing(at: j) {
                    row[k] = .nan
                } else {
                    let text = try record.string(at: j)
                    if let code = levels.firstIndex(of: text) { row[k] = Float(code) } else {
                        row[k] = Float(levels.count)
                        unseenCategories += 1
                    }
                }
            } else {
                row[k] = Float(try record.double(at: j) ?? .nan)
            }
            values[input.name] = Double(row[k])
        }
        for (m, e) in schema.derived.enumerated() {
            let v = e.evaluate { name in self.values[name] ?? self.lookup(record, name) }
            if v.isNaN, !e.columns.contains(where: { (values[$0] ?? .nan).isNaN }) { nonFiniteDerived += 1 }
            row[schema.inputs.count + m] = Float(v)
        }
        let score: Double
        if let trees = model.trees {
            score = 1 / (1 + exp(-trees.predictRaw(row: row)))
        } else {
            let columns = model.numericColumns(FeatureColumns(columns: row.map { [$0] }, names: names, kinds: schema.kinds))
            score = try model.forest!.scores(columns)[0]
        }
        let alert = score >= model.spec.threshold
        line.appendField(idColumn.map { (try? record.string(at: $0)) ?? "" } ?? String(record.number))
        line.appendField(String(score))
        line.appendField(alert ? "1" : "0")
        let top = alert ? topReadings() : []
        for k in 0..<3 { line.appendField(k < top.count ? top[k] : "") }
        if alert { alerts += 1 }
    }

    /// A column a derived feature reads that is not a model input (read as a number).
    func lookup(_ record: CSVRow, _ name: String) -> Double {
        guard let j = record.context.columns.firstIndex(of: name) else { return .nan }
        return ((try? record.double(at: j)) ?? nil) ?? .nan
    }

    /// The three readings that pushed this part's score most: `Torque [Nm]=62.1 (+1.23)`.
    func topReadings() -> [String] {
        var contributions: [Double]
        if let trees = model.trees {
            contributions = Array(trees.shap(FeatureColumns(columns: row.map { [$0] }, names: names, kinds: model.spec.schema.kinds), threads: 1)
                .dropLast())
        } else {
            let medians = model.spec.medians ?? [], scales = model.spec.scales ?? []
            contributions = row.indices.map { j in row[j].isNaN ? 0 : abs((Double(row[j]) - medians[j]) / scales[j]) }
        }
        return contributions.indices.sorted { contributions[$0] > contributions[$1] }.prefix(3).filter { contributions[$0] > 0 }.map { j in
            "\(names[j])=\(row[j].isNaN ? "missing" : String(row[j])) (\(contributions[j] >= 0 ? "+" : "")\(String(format: "%.3f", contributions[j])))"
        }
    }

    public var tallies: [BatchTally] {
        [BatchTally("alerts", alerts), BatchTally("unseen_categories", unseenCategories), BatchTally("non_finite_derived", nonFiniteDerived)]
    }
}
