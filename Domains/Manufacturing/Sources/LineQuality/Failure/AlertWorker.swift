import Foundation
import LeptonCore
import LeptonIO

/// Batch scoring's per-thread worker (LeptonCLI's batch job): one record of a log in, one line of
/// alerts out — the ID (or the row number), the score, the alert flag and, for alerted rows, the
/// readings that contributed most (three by default; SHAP values for trees, robust z-scores for
/// an anomaly model). Text in a numeric reading rejects the record.
///
/// A batch job stages records a block at a time (``BlockBatchWorker``): the block's rows are
/// scored in one call (boosted trees eight at a time in QuickScorer's lanes, an isolation forest
/// tree by tree over the block); ``encode(_:into:)`` writes one record's line for serving and
/// `--follow`, with the same bytes. The two are not mixed: `encode` is called with nothing staged.
public final class AlertWorker: BlockBatchWorker {
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
    /// One record's inputs and extra columns as doubles, for the derived features.
    private let slots: UnsafeMutableBufferPointer<Double>
    /// The staged records' model rows, row-major (`names.count` values each).
    private let rows: UnsafeMutableBufferPointer<Float>
    /// The staged records' scores, filled at the flush.
    private let scores: UnsafeMutableBufferPointer<Double>
    /// The staged records' IDs as the output writes them (bytes, ends), or their row numbers.
    private var idBytes: [UInt8] = []
    private var idEnds: [Int] = []
    private var rowNumbers: [Int] = []
    private var staged = 0
    /// SHAP for the trees' alerts, built at the first alert.
    lazy var explainer: SHAPExplainer? = model.trees.map { SHAPExplainer(model: $0) }
    public private(set) var alerts = 0
    public private(set) var unseenCategories = 0
    public private(set) var nonFiniteDerived = 0
    /// Records staged before their block is scored.
    public let blockCapacity = 64

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
        slots = .allocate(capacity: max(1, schema.inputs.count + extra.count))
        slots.initialize(repeating: .nan)
        rows = .allocate(capacity: max(1, blockCapacity * names.count))
        rows.initialize(repeating: 0)
        scores = .allocate(capacity: blockCapacity)
        scores.initialize(repeating: 0)
    }

    deinit {
        slots.deallocate()
        rows.deallocate()
        scores.deallocate()
    }

    public func encode(_ record: CSVRow, into line: inout CSVLine) throws {
        precondition(staged == 0, "AlertWorker: encode with records staged would overwrite the first")
        let row = rows.baseAddress!
        try readFeatures(record, into: row)
        try score(rows: 1)
        appendID(of: record, to: &line)
        appendScore(scores[0], row: row, to: &line)
    }

    public func stage(_ record: CSVRow) throws {
        precondition(staged < blockCapacity, "AlertWorker: stage called on a full block")
        try readFeatures(record, into: rows.baseAddress! + staged * names.count)
        if let idColumn {
            appendIDBytes(record.bytes(at: idColumn)) { idBytes.append(contentsOf: $0) }
            idEnds.append(idBytes.count)
        } else {
            rowNumbers.append(record.number)
        }
        staged += 1
    }

    public func flush(into line: inout CSVLine, _ write: (CSVLine) throws -> Void) throws {
        try score(rows: staged)
        var idStart = 0
        for k in 0..<staged {
            line.clear()
            if idColumn != nil {
                idBytes.withUnsafeBufferPointer { line.appendField(UnsafeBufferPointer(rebasing: $0[idStart..<idEnds[k]])) }
                idStart = idEnds[k]
            } else {
                line.appendField(rowNumbers[k])
            }
            appendScore(scores[k], row: rows.baseAddress! + k * names.count, to: &line)
            try write(line)
        }
        staged = 0
        idBytes.removeAll(keepingCapacity: true)
        idEnds.removeAll(keepingCapacity: true)
        rowNumbers.removeAll(keepingCapacity: true)
    }

    /// Fills `row` with the record's model inputs (categorical levels as codes) and derived
    /// features; throws a ``CSVRowError`` for text in a numeric reading.
    private func readFeatures(_ record: CSVRow, into row: UnsafeMutablePointer<Float>) throws {
        let slots = slots.baseAddress!
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
        var nonFinite = 0
        for m in derived.indices {
            let v = derived[m].evaluate(UnsafeBufferPointer(self.slots))
            row[inputs + m] = Float(v)
            if v.isNaN { nonFinite += 1 }
        }
        if nonFinite > 0 { nonFiniteDerived += nonFinite }
    }

    /// Scores the first `count` rows of the block into `scores`: `σ(f(x))` for trees, the
    /// isolation forest's anomaly score otherwise.
    private func score(rows count: Int) throws {
        guard count > 0 else { return }
        let width = names.count
        if let trees = model.trees {
            trees.predictRaw(rows: UnsafeBufferPointer(rebasing: rows[0..<(count * width)]),
                             into: UnsafeMutableBufferPointer(rebasing: scores[0..<count]))
            for k in 0..<count { scores[k] = 1 / (1 + exp(-scores[k])) }
        } else {
            let features = FeatureColumns(columns: (0..<width).map { j in (0..<count).map { rows[$0 * width + j] } },
                                          names: names, kinds: model.spec.schema.kinds)
            let values = try model.forest!.scores(model.numericColumns(features))
            for k in 0..<count { scores[k] = values[k] }
        }
    }

    /// The ID field (or the row number) of `record`.
    private func appendID(of record: CSVRow, to line: inout CSVLine) {
        if let idColumn {
            appendIDBytes(record.bytes(at: idColumn)) { line.appendField($0) }
        } else {
            line.appendField(record.number)
        }
    }

    /// Passes the ID's bytes as the output writes them: ASCII as it is, other bytes through
    /// String, which writes invalid UTF-8 as U+FFFD, as the rejects file does.
    private func appendIDBytes(_ id: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if id.allSatisfy({ $0 < 0x80 }) {
            body(id)
        } else {
            var text = String(decoding: id, as: UTF8.self)
            text.withUTF8 { body($0) }
        }
    }

    /// The score, the alert flag and, for an alert, the top readings of `row`.
    private func appendScore(_ score: Double, row: UnsafeMutablePointer<Float>, to line: inout CSVLine) {
        line.appendField(String(score))
        let alert = score >= model.spec.threshold
        line.appendField(alert ? 1 : 0)
        if alert { alerts += 1 }
        guard topCount > 0 else { return }
        let top = alert ? topReadings(Array(UnsafeBufferPointer(start: row, count: names.count))) : []
        for k in 0..<topCount { line.appendField(k < top.count ? top[k] : "") }
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
