import LeptonCore
import LeptonIO

/// Turns records of an applicant CSV into scorecard bins, by column name; columns the model
/// does not use (the outcome included) are ignored.
///
/// Rules for values the training data did not have, each counted: a category never seen goes
/// to the characteristic's "other" bin; a number below the smallest or above the largest
/// training value goes to the first or last range bin (the ranges are open-ended). A
/// non-numeric text in a numeric column is an error for that row (a reject).
///
/// Not thread-safe (it counts): use one per thread.
public final class ApplicantEncoder {
    public let scorecard: Scorecard
    /// Each entry's binning behind a reference, so the hot loop borrows instead of copying.
    let lookups: [BinLookup]
    /// The file column of each entry.
    let columnIndex: [Int]
    let idIndex: Int?
    /// Categories not seen in training, over all rows encoded.
    public private(set) var unseenCategories = 0
    /// Numbers outside the training range [min, max], over all rows encoded.
    public private(set) var outOfRange = 0

    /// Matches the scorecard's characteristics to `columns` (a file header); throws
    /// ``DataError`` naming the columns the file lacks.
    public init(scorecard: Scorecard, columns: [String], path: String, requireID: Bool = false) throws {
        self.scorecard = scorecard
        let positions = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let missing = scorecard.characteristicNames.filter { positions[$0] == nil }
        guard missing.isEmpty else {
            throw DataError("\(path): the file lacks \(missing.count) column(s) the model uses: \(missing.joined(separator: ", "))",
                              hint: "score a file with the training file's columns (extra columns are ignored).")
        }
        columnIndex = scorecard.characteristicNames.map { positions[$0]! }
        lookups = scorecard.entries.map { BinLookup($0.binning) }
        if let id = scorecard.idColumn {
            idIndex = positions[id]
            if requireID && idIndex == nil {
                throw DataError("\(path): no ID column '\(id)'", hint: "the model carries '\(id)' through to its outputs; add it.")
            }
        } else {
            idIndex = nil
        }
    }

    /// The bins of one record, written into `bins` (one per entry). Throws the row's
    /// ``CSVRowError`` for text in a numeric column.
    @inline(__always)
    public func encode(_ row: CSVRow, into bins: inout [Int]) throws {
        // Counted in locals and added once: inout access to the class's counters would cost a
        // dynamic exclusivity check per field.
        var unseen = 0, outside = 0
        defer {
            unseenCategories += unseen
            outOfRange += outside
        }
        for j in lookups.indices {
            bins[j] = try lookups[j].bin(of: row, column: columnIndex[j], unseen: &unseen, outOfRange: &outside)
        }
    }

    /// Appends the record's ID field to `line`: the ID column's text, or the row number.
    @inline(__always)
    public func appendID(_ row: CSVRow, to line: inout CSVLine) {
        if let idIndex { line.appendField(row.bytes(at: idIndex)) } else { line.appendField(row.number) }
    }

    /// The record's ID (its row number when the model has no ID column or the file lacks it).
    public func id(_ row: CSVRow) -> String {
        if let idIndex { return String(decoding: row.bytes(at: idIndex), as: UTF8.self) }
        return String(row.number)
    }
}

/// What batch scoring writes for each applicant: ID, PD, score, decision and reason codes,
/// with every possible text precomputed (a score has one PD; a bin has one reason).
public struct ScoreFormatter: Sendable {
    public let scorecard: Scorecard
    public let reasonCount: Int
    let low: Int
    let pdText: [String]
    let scoreText: [String]
    let reasonTexts: [[String]]
    /// points[j][b] and the best attainable points of each entry.
    let points: [[Int]]
    let best: [Int]
    /// The fast path's tables (``appendFields(bins:to:scratch:)``): the same texts CSV-encoded,
    /// and points and reasons flattened, entry j's bin b at `binOffset[j] + b`.
    let encodedPD: CSVFieldTable, encodedScore: CSVFieldTable, encodedDecision: CSVFieldTable
    let encodedReason: CSVFieldTable
    let flatPoints: [Int]
    let binOffset: [Int]

    public init(scorecard: Scorecard, reasonCount: Int? = nil) {
        self.scorecard = scorecard
        self.reasonCount = max(0, reasonCount ?? scorecard.config.reasonCount)
        let range = scorecard.scoreRange
        low = range.lowerBound
        pdText = range.map { fixed(scorecard.probabilityOfDefault(score: $0), 6) }
        scoreText = range.map { String($0) }
        points = scorecard.entries.map(\.points)
        best = scorecard.entries.map(\.bestPoints)
        reasonTexts = scorecard.entries.indices.map { j in
            scorecard.entries[j].binning.bins.indices.map { b in
                let lost = scorecard.entries[j].bestPoints - scorecard.entries[j].points[b]
                return scorecard.reasonText(entry: j, bin: b, lost: lost)
            }
        }
        encodedPD = CSVFieldTable(pdText)
        encodedScore = CSVFieldTable(scoreText)
        encodedDecision = CSVFieldTable(["approve", "decline"])
        encodedReason = CSVFieldTable(reasonTexts.flatMap { $0 })
        flatPoints = points.flatMap { $0 }
        binOffset = points.reduce(into: [0]) { $0.append($0.last! + $1.count) }
    }

    /// The output columns: the ID column (or `row`), `pd`, `score`, `decision`, `reason_1` … `reason_K`.
    public var columns: [String] {
        [scorecard.idColumn ?? "row", "pd", "score", "decision"] + (0..<reasonCount).map { "reason_\($0 + 1)" }
    }

    /// The output fields of an applicant with `bins`: reasons only for declined applicants.
    public func fields(id: String, bins: [Int]) -> [String] {
        var score = scorecard.basePoints
        for j in points.indices { score += points[j][bins[j]] }
        let approved = score >= scorecard.cutoff
        var out = [id, pdText[score - low], scoreText[score - low], approved ? "approve" : "decline"]
        out.reserveCapacity(4 + reasonCount)
        guard !approved, reasonCount > 0 else {
            for _ in 0..<reasonCount { out.append("") }
            return out
        }
        // The same ranking as Scorecard.reasons: most points lost first, ties in scorecard order.
        var losses: [(entry: Int, lost: Int)] = []
        losses.reserveCapacity(points.count)
        for j in points.indices {
            let lost = best[j] - points[j][bins[j]]
            if lost > 0 { losses.append((j, lost)) }
        }
        losses.sort { $0.lost != $1.lost ? $0.lost > $1.lost : $0.entry < $1.entry }
        for k in 0..<reasonCount {
            out.append(k < losses.count ? reasonTexts[losses[k].entry][bins[losses[k].entry]] : "")
        }
        return out
    }
}

extension ScoreFormatter {
    /// The fields after the ID — `pd`, `score`, `decision`, reasons — of an applicant with
    /// `bins`, appended to `line` as CSV: the fast twin of ``fields(id:bins:)`` (tested equal),
    /// with no allocation. `scratch` holds at least one slot per scorecard entry.
    @inline(__always)
    public func appendFields(bins: UnsafeBufferPointer<Int>, to line: inout CSVLine,
                             scratch: UnsafeMutablePointer<(entry: Int, lost: Int)>) {
        flatPoints.withUnsafeBufferPointer { points in
            binOffset.withUnsafeBufferPointer { offset in
                best.withUnsafeBufferPointer { best in
                    var score = scorecard.basePoints
                    for j in 0..<bins.count { score += points[offset[j] + bins[j]] }
                    let approved = score >= scorecard.cutoff
                    line.appendEncodedField(encodedPD[score - low])
                    line.appendEncodedField(encodedScore[score - low])
                    line.appendEncodedField(encodedDecision[approved ? 0 : 1])
                    guard !approved, reasonCount > 0 else {
                        for _ in 0..<reasonCount { line.appendEncodedField(UnsafeBufferPointer(start: nil, count: 0)) }
                        return
                    }
                    // Losses, most points lost first, ties in scorecard order (as Scorecard.reasons),
                    // by insertion into the few slots.
                    var n = 0
                    for j in 0..<bins.count {
                        let lost = best[j] - points[offset[j] + bins[j]]
                        guard lost > 0 else { continue }
                        var k = n
                        while k > 0 && scratch[k - 1].lost < lost {
                            scratch[k] = scratch[k - 1]
                            k -= 1
                        }
                        scratch[k] = (j, lost)
                        n += 1
                    }
                    for k in 0..<reasonCount {
                        if k < n {
                            let j = scratch[k].entry
                            line.appendEncodedField(encodedReason[offset[j] + bins[j]])
                        } else {
                            line.appendEncodedField(UnsafeBufferPointer(start: nil, count: 0))
                        }
                    }
                }
            }
        }
    }
}

/// Reads a labelled file through the model's encoder: the label (1 = bad), score and PD of
/// every usable row, with counts of the rows left out.
public struct ScoredFile: Sendable {
    public var labels: [Double] = []
    public var scores: [Int] = []
    public var pd: [Double] = []
    /// Bins of each row per characteristic of the model (row-major), for characteristic stability.
    public var bins: [Int32] = []
    public var rowsRead = 0
    public var rejected = 0
    /// The first few reasons for rejection, for messages.
    public var rejectExamples: [String] = []
    public var unseenCategories = 0
    public var outOfRange = 0

    /// Scores every row of `path` with a scorecard (see ``read(path:model:requireOutcome:)``).
    public static func read(path: String, scorecard: Scorecard, requireOutcome: Bool) throws -> ScoredFile {
        try read(path: path, model: .scorecard(scorecard), requireOutcome: requireOutcome)
    }

    /// Scores every row of `path`. With `requireOutcome`, the model's target column must be
    /// present and every value must be the bad or good value (a third value is an error; a
    /// missing one rejects the row).
    public static func read(path: String, model: CreditModel, requireOutcome: Bool) throws -> ScoredFile {
        let reader = try CSVReader(path: path)  // a CSVFileError says what is wrong, with its hint
        let scorer = try model.rowScorer(columns: reader.columns, path: path, reasonCount: 0)
        let outcome = model.outcome
        var targetIndex: Int?
        if requireOutcome {
            guard let t = reader.columns.firstIndex(of: outcome.column) else {
                throw DataError("\(path): no target column '\(outcome.column)' (the model was trained with it)",
                                  hint: "evaluate on a file with the outcome column.")
            }
            targetIndex = t
        }
        var result = ScoredFile()
        var bins = [Int](repeating: 0, count: scorer.characteristicCount)
        let bad = Array(outcome.badValue.utf8), good = Array(outcome.goodValue.utf8)
        var thirdValue: DataError?
        let counts = try reader.forEachRow { row in
            guard thirdValue == nil else { return }
            if let problem = row.problemError {
                result.note(reject: "\(problem)")
                return
            }
            var label = 0.0
            if let t = targetIndex {
                if row.isMissing(at: t) {
                    result.note(reject: "\(row.error(column: t, reason: "the outcome is missing"))")
                    return
                }
                let field = Array(row.bytes(at: t))
                if field == bad { label = 1 } else if field != good {
                    thirdValue = DataError("\(path): row \(row.number): the target '\(outcome.column)' is '\(String(decoding: field, as: UTF8.self))', neither '\(outcome.badValue)' (bad) nor '\(outcome.goodValue)' (good)",
                                             hint: "recode the outcome to the two values the model was trained with.")
                    return
                }
            }
            let scored: (score: Int, pd: Double)
            do {
                scored = try scorer.score(row, bins: &bins)
            } catch let error as CSVRowError {
                result.note(reject: "\(error)")
                return
            }
            result.labels.append(label)
            result.scores.append(scored.score)
            result.pd.append(scored.pd)
            result.bins.append(contentsOf: bins.map { Int32($0) })
        }
        if let thirdValue { throw thirdValue }
        result.rowsRead = counts.rows
        result.unseenCategories = scorer.unseenCategories
        result.outOfRange = scorer.outOfRange
        guard counts.rows > 0 else {
            throw DataError("\(path): the file has a header but no data rows", hint: "give a file with at least one applicant.")
        }
        return result
    }

    mutating func note(reject reason: String) {
        rejected += 1
        if rejectExamples.count < 5 { rejectExamples.append(reason) }
    }
}

/// Scores records of an applicant CSV with one model: the score, PD and bins of a record, and
/// the output fields batch scoring writes. Not thread-safe (it counts): use one per thread.
public protocol CreditRowScorer: AnyObject {
    /// The output columns: the ID column (or `row`), `pd`, `score`, `decision`, `reason_1` … `reason_K`.
    var columns: [String] { get }
    /// The number of characteristics (bins per record).
    var characteristicCount: Int { get }
    /// Categories not seen in training, over all records scored.
    var unseenCategories: Int { get }
    /// Numbers outside the training range, over all records scored.
    var outOfRange: Int { get }
    /// The score and PD of a record, with its bin of each characteristic written into `bins`.
    /// Throws the row's ``CSVRowError`` for text in a numeric column.
    func score(_ row: CSVRow, bins: inout [Int]) throws -> (score: Int, pd: Double)
    /// The output fields of a record (reasons for declined applicants only).
    func fields(_ row: CSVRow) throws -> [String]
    /// The same fields appended to `line` as CSV (what batch scoring writes).
    func appendFields(_ row: CSVRow, to line: inout CSVLine) throws
}

extension CreditRowScorer {
    /// Through ``fields(_:)``: for scorers without a faster path.
    public func appendFields(_ row: CSVRow, to line: inout CSVLine) throws {
        for field in try fields(row) { line.appendField(field) }
    }
}

extension CreditModel {
    /// A scorer for records with the header `columns`; throws ``DataError`` naming the
    /// columns the file lacks. `reasonCount` nil: the model's.
    public func rowScorer(columns: [String], path: String, reasonCount: Int?) throws -> any CreditRowScorer {
        switch self {
        case let .scorecard(card): return try ScorecardRowScorer(scorecard: card, columns: columns, path: path, reasonCount: reasonCount)
        case let .boosted(model): return try BoostedRowScorer(model: model, columns: columns, path: path, reasonCount: reasonCount)
        }
    }
}

/// ``CreditRowScorer`` of a scorecard: ``ApplicantEncoder`` and ``ScoreFormatter``.
final class ScorecardRowScorer: CreditRowScorer {
    let encoder: ApplicantEncoder
    let formatter: ScoreFormatter
    var bins: [Int]
    /// Reason ranking slots for ``ScoreFormatter/appendFields(bins:to:scratch:)``.
    private let scratch: UnsafeMutablePointer<(entry: Int, lost: Int)>

    init(scorecard: Scorecard, columns: [String], path: String, reasonCount: Int?) throws {
        encoder = try ApplicantEncoder(scorecard: scorecard, columns: columns, path: path)
        formatter = ScoreFormatter(scorecard: scorecard, reasonCount: reasonCount)
        bins = [Int](repeating: 0, count: scorecard.entries.count)
        scratch = .allocate(capacity: max(1, scorecard.entries.count))
    }

    deinit { scratch.deallocate() }

    var columns: [String] { formatter.columns }
    var characteristicCount: Int { bins.count }
    var unseenCategories: Int { encoder.unseenCategories }
    var outOfRange: Int { encoder.outOfRange }

    func score(_ row: CSVRow, bins: inout [Int]) throws -> (score: Int, pd: Double) {
        try encoder.encode(row, into: &bins)
        let score = encoder.scorecard.score(bins: bins)
        return (score, encoder.scorecard.probabilityOfDefault(score: score))
    }

    func fields(_ row: CSVRow) throws -> [String] {
        try encoder.encode(row, into: &bins)
        return formatter.fields(id: encoder.id(row), bins: bins)
    }

    func appendFields(_ row: CSVRow, to line: inout CSVLine) throws {
        var bins: [Int] = []
        swap(&bins, &self.bins)  // a local for the row: no exclusivity check per use
        defer { swap(&bins, &self.bins) }
        try encoder.encode(row, into: &bins)
        encoder.appendID(row, to: &line)
        bins.withUnsafeBufferPointer { formatter.appendFields(bins: $0, to: &line, scratch: scratch) }
    }
}

/// ``CreditRowScorer`` of the boosted model: feature values and bins by column name, the
/// trees' log-odds, and TreeSHAP reason codes for declined applicants.
///
/// The same rules as the scorecard's for values training did not have: unseen categories
/// (counted) take the trees' branch for unseen categories and the binning's other bin; numbers
/// outside the training range (counted) go where the trees and the outer range bins put them;
/// text in a numeric column rejects the record.
final class BoostedRowScorer: CreditRowScorer {
    let model: BoostedCreditModel
    let reasonCount: Int
    let columnIndex: [Int]
    let idIndex: Int?
    var features: [Float]
    var bins: [Int]
    /// SHAP for the reasons of declines, built at the first decline.
    lazy var explainer = SHAPExplainer(model: model.trees)
    private(set) var unseenCategories = 0
    private(set) var outOfRange = 0

    init(model: BoostedCreditModel, columns: [String], path: String, reasonCount: Int?) throws {
        self.model = model
        self.reasonCount = max(0, reasonCount ?? model.spec.config.reasonCount)
        let positions = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let missing = model.characteristicNames.filter { positions[$0] == nil }
        guard missing.isEmpty else {
            throw DataError("\(path): the file lacks \(missing.count) column(s) the model uses: \(missing.joined(separator: ", "))",
                              hint: "score a file with the training file's columns (extra columns are ignored).")
        }
        columnIndex = model.characteristicNames.map { positions[$0]! }
        idIndex = model.spec.idColumn.flatMap { positions[$0] }
        features = [Float](repeating: .nan, count: columnIndex.count)
        bins = [Int](repeating: 0, count: columnIndex.count)
    }

    var columns: [String] {
        [model.spec.idColumn ?? "row", "pd", "score", "decision"] + (0..<reasonCount).map { "reason_\($0 + 1)" }
    }
    var characteristicCount: Int { columnIndex.count }

    /// Fills `features` and `bins` from the record.
    func encode(_ row: CSVRow, bins: inout [Int]) throws {
        for (j, feature) in model.spec.features.enumerated() {
            let binning = feature.binning
            let column = columnIndex[j]
            switch binning.kind {
            case .numeric:
                guard let value = try row.double(at: column) else {
                    features[j] = .nan
                    bins[j] = binning.missingBin
                    continue
                }
                let b = binning.binIndex(number: value)
                if let low = binning.observedMin, let high = binning.observedMax, value < low || value > high,
                   binning.bins[b].kind == .range {
                    outOfRange += 1
                }
                features[j] = feature.value(number: value)
                bins[j] = b
            case .categorical:
                if row.isMissing(at: column) {
                    features[j] = .nan
                    bins[j] = binning.missingBin
                    continue
                }
                let (b, unseen) = binning.binIndex(categoryBytes: row.bytes(at: column))
                if unseen { unseenCategories += 1 }
                bins[j] = b
                features[j] = feature.value(category: String(decoding: row.bytes(at: column), as: UTF8.self))
            }
        }
    }

    func score(_ row: CSVRow, bins: inout [Int]) throws -> (score: Int, pd: Double) {
        try encode(row, bins: &bins)
        let f = model.trees.predictRaw(row: features)
        return (model.score(margin: f), model.probabilityOfDefault(margin: f))
    }

    func fields(_ row: CSVRow) throws -> [String] {
        try encode(row, bins: &bins)
        let f = model.trees.predictRaw(row: features)
        let score = model.score(margin: f)
        let approved = score >= model.spec.cutoff
        let id = idIndex.map { String(decoding: row.bytes(at: $0), as: UTF8.self) } ?? String(row.number)
        var out = [id, fixed(model.probabilityOfDefault(margin: f), 6), String(score), approved ? "approve" : "decline"]
        guard !approved, reasonCount > 0 else {
            for _ in 0..<reasonCount { out.append("") }
            return out
        }
        let phi = explainer.contributions(row: features)
        let reasons = phi.withUnsafeBufferPointer {
            BoostedCreditModel.reasons(phi: UnsafeBufferPointer(rebasing: $0[0..<features.count]), count: reasonCount)
        }
        for k in 0..<reasonCount {
            out.append(k < reasons.count ? model.reasonText(feature: reasons[k].feature, bin: bins[reasons[k].feature],
                                                            logOdds: reasons[k].logOdds) : "")
        }
        return out
    }
}

/// A characteristic's binning behind a reference (the scoring loop borrows it, no copies).
final class BinLookup: Sendable {
    let binning: CharacteristicBinning
    init(_ binning: CharacteristicBinning) { self.binning = binning }

    /// The bin of field `column` of `row`, counting unseen categories and numbers outside the
    /// training range. A method here so that `binning` is used in place: copying the struct out
    /// (`let b = lookup.binning`) retains and releases each of its arrays per field.
    @inline(__always)
    func bin(of row: CSVRow, column: Int, unseen: inout Int, outOfRange: inout Int) throws -> Int {
        switch binning.kind {
        case .numeric:
            guard let value = try row.double(at: column) else { return binning.missingBin }
            let b = binning.binIndex(number: value)
            if let low = binning.observedMin, let high = binning.observedMax, value < low || value > high,
               binning.bins[b].kind == .range {
                outOfRange += 1
            }
            return b
        case .categorical:
            if row.isMissing(at: column) { return binning.missingBin }
            let (b, isUnseen) = binning.binIndex(categoryBytes: row.bytes(at: column))
            if isUnseen { unseen += 1 }
            return b
        }
    }
}

/// Batch scoring's per-thread worker: a row scorer, with its counts as tallies.
public struct CreditBatchWorker: BatchWorker {
    /// The scorer this worker writes with (its `columns` are the output header).
    public let scorer: any CreditRowScorer

    /// Appends the applicant's ID (or row), pd, score, decision and reasons; text in a numeric column rejects the row.
    public func encode(_ row: CSVRow, into line: inout CSVLine) throws {
        try scorer.appendFields(row, to: &line)
    }

    /// `unseen_categories` and `out_of_range`, counted over the records this worker scored.
    public var tallies: [BatchTally] {
        [BatchTally("unseen_categories", scorer.unseenCategories), BatchTally("out_of_range", scorer.outOfRange)]
    }
}

extension CreditModel {
    /// A batch worker for records with the header `columns` (see ``rowScorer(columns:path:reasonCount:)``).
    public func batchWorker(columns: [String], path: String, reasonCount: Int?) throws -> CreditBatchWorker {
        CreditBatchWorker(scorer: try rowScorer(columns: columns, path: path, reasonCount: reasonCount))
    }

    /// Whether scores of a file with these columns start with the row number (no ID column in the file).
    public func writesRowNumbers(forColumns columns: [String]) -> Bool {
        !(idColumn.map { columns.contains($0) } ?? false)
    }
}
