import Foundation
import LeptonCore
import LeptonIO

/// Batch scoring's per-thread worker (LeptonCLI's batch job): one record of a log in, one line of
/// alerts out — the ID (or the row number), the score, the alert flag and, for alerted rows, the
/// readings that contributed most (three by default; SHAP values for trees, robust z-scores for
/// an anomaly model). Text in a numeric reading rejects the record.
public final class AlertWorker: BatchWorker {
    let model: FailureModel
    /// Where each input of the schema sits in the file's columns.
    let inputColumns: [Int]
    let idColumn: Int?
    let names: [String]
    /// How many contributing readings an alert lists (columns `top_1` …); 0 lists none.
    let topCount: Int
    /// Each categorical input's training levels as bytes (nil for numeric inputs).
    let levelBytes: [[[UInt8]]?]
    /// Derived features over `slots`: the inputs first, then other file columns they read.
    let derived: [CompiledExpression]
    /// File columns (beyond the inputs) the derived features read, and their slots.
    let extraColumns: [(column: Int, slot: Int)]
    var slots: [Double]
    var row: [Float]
    /// SHAP for the trees' alerts, built at the first alert.
    lazy var explainer: SHAPExplainer? = model.trees.map { SHAPExplainer(model: $0) }
    public private(set) var alerts = 0
    public private(set) var unseenCategories = 0
    public private(set) var nonFiniteDerived = 0

    /// The output header: the ID column (or `row`), `score`, `alert`, then `top_1` … `top_N`.
    public static func columns(for model: FailureModel, header: [String], topCount: Int = 3) -> [String] {
        [model.spec.idColumn.flatMap { header.contains($0) ? $0 : nil } ?? "row", "score", "alert"] + (0..<max(0, topCount)).map { "top_\($0 + 1)" }
    }

    /// A worker for records with `header` that lists `topCount` readings per alert; throws naming
    /// the columns the file lacks.
    public init(model: FailureModel, header: [String], path: String, topCount: Int = 3) throws {
        self.model = model
        self.topCount = max(0, topCount)
        let schema = model.spec.schema
        names = schema.names
        inputColumns = try schema.inputs.map { input in
            guard let j = header.firstIndex(of: input.name) else {
                throw DataError(file: path, field: input.name, message: "the model reads this column and the file lacks it",
                                hint: "score a log with the columns the model was trained on.")
            }
            return j
        }
        levelBytes = schema.inputs.map { $0.levels?.map { Array($0.utf8) } }
        var slotOf: [String: Int] = [:]
        for (k, input) in schema.inputs.enumerated() { slotOf[input.name] = k }
        var extra: [(Int, Int)] = []
        for e in schema.derived {
            do { try e.check(against: header) } catch let error as FeatureExpressionError { throw DataError("\(path): \(error)", hint: "score a log with the columns the model was trained on.") }
            for name in e.columns where slotOf[name] == nil {
                slotOf[name] = schema.inputs.count + extra.count
                extra.append((header.firstIndex(of: name)!, slotOf[name]!))
            }
        }
        derived = schema.derived.map { $0.compiled(slots: slotOf) }
        extraColumns = extra
        idColumn = model.spec.idColumn.flatMap { header.firstIndex(of: $0) }
        slots = [Double](repeating: .nan, count: schema.inputs.count + extra.count)
        row = [Float](repeating: 0, count: names.count)
    }

    public func encode(_ record: CSVRow, into line: inout CSVLine) throws {
        // The buffers taken out of the object for the record: one exclusive access each instead
        // of one per field.
        var slots = self.slots, row = self.row
        self.slots = []; self.row = []
        defer { self.slots = slots; self.row = row }
        let inputs = inputColumns.count
        for k in 0..<inputs {
            let j = inputColumns[k]
            if let levels = levelBytes[k] {
                if record.isMissing(at: j) {
                    slots[k] = .nan
                } else {
                    let field = record.bytes(at: j)
                    var code = levels.count
                    for (c, level) in levels.enumerated() where level.count == field.count && level.elementsEqual(field) { code = c; break }
                    if code == levels.count { unseenCategories += 1 }
                    slots[k] = Double(code)
                }
            } else {
                slots[k] = try record.double(at: j) ?? .nan
            }
            row[k] = Float(slots[k])
        }
        for (column, slot) in extraColumns { slots[slot] = ((try? record.double(at: column)) ?? nil) ?? .nan }
        let derivedCount = derived.count
        var nonFinite = 0
        slots.withUnsafeBufferPointer { values in
            for m in 0..<derivedCount {
                let v = derived[m].evaluate(values)
                row[inputs + m] = Float(v)
                if v.isNaN { nonFinite += 1 }
            }
        }
        if nonFinite > 0 { nonFiniteDerived += nonFinite }
        let score: Double
        if let trees = model.trees {
            score = 1 / (1 + exp(-trees.predictRaw(row: row)))
        } else {
            let columns = model.numericColumns(FeatureColumns(columns: row.map { [$0] }, names: names, kinds: model.spec.schema.kinds))
            score = try model.forest!.scores(columns)[0]
        }
        let alert = score >= model.spec.threshold
        if let idColumn {
            // ASCII as it is; other bytes through String, which writes invalid UTF-8 as U+FFFD,
            // as the rejects file does.
            let id = record.bytes(at: idColumn)
            if id.allSatisfy({ $0 < 0x80 }) { line.appendField(id) } else { line.appendField(String(decoding: id, as: UTF8.self)) }
        } else {
            line.appendField(record.number)
        }
        line.appendField(String(score))
        line.appendField(alert ? 1 : 0)
        guard topCount > 0 else {
            if alert { alerts += 1 }
            return
        }
        let top = alert ? topReadings(row) : []
        for k in 0..<topCount { line.appendField(k < top.count ? top[k] : "") }
        if alert { alerts += 1 }
    }

    /// The ``topCount`` readings that pushed this part's score most: `Torque [Nm]=62.1 (+1.23)`.
    func topReadings(_ row: [Float]) -> [String] {
        var contributions: [Double]
        if let explainer {
            contributions = explainer.contributions(row: row).dropLast()
        } else {
            let medians = model.spec.medians ?? [], scales = model.spec.scales ?? []
            contributions = row.indices.map { j in row[j].isNaN ? 0 : abs((Double(row[j]) - medians[j]) / scales[j]) }
        }
        return contributions.indices.sorted { contributions[$0] > contributions[$1] }.prefix(topCount).filter { contributions[$0] > 0 }.map { j in
            "\(names[j])=\(row[j].isNaN ? "missing" : String(row[j])) (\(contributions[j] >= 0 ? "+" : "")\(String(format: "%.3f", contributions[j])))"
        }
    }

    public var tallies: [BatchTally] {
        [BatchTally("alerts", alerts), BatchTally("unseen_categories", unseenCategories), BatchTally("non_finite_derived", nonFiniteDerived)]
    }
}
