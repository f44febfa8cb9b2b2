import LeptonIO

/// A served model for tabular records (credit applicants, production-line readings): a JSON
/// object per record, field names as in the training CSV, scored by the domain's own
/// ``BatchWorker`` — the code batch scoring runs — so an answer over HTTP is the line batch
/// scoring would write, as a JSON object keyed by the output columns.
///
/// Field values: a JSON string is the field's text; a JSON number is accepted for any field as
/// its text (so `"id": 1007` works for a text ID); `true`/`false` become their words; `null`
/// is a missing value. Fields the model does not read are ignored. A field the model reads
/// that is absent or appears twice, an object or array where a value belongs, or text where a number belongs
/// is refused with 400 naming the field.
public final class TabularServedModel: ServedModel {
    /// The domain's worker, behind an existential: a generic model class would look its
    /// metadata up at run time on every call, a measurable share of a cheap model's request.
    public typealias Worker = any BatchWorker

    /// One record's fields in header order — field `k` is `text[bounds[2k]..<bounds[2k + 1]]`
    /// — and its position in its request (1-based).
    public struct Record: Sendable, Equatable {
        var text: [UInt8]
        var bounds: [Int]
        var withID: Bool
        var number: Int

        init(text: [UInt8], bounds: [Int], withID: Bool, number: Int) {
            self.text = text
            self.bounds = bounds
            self.withID = withID
            self.number = number
        }

        /// Each field's text.
        var fields: [String] {
            stride(from: 0, to: bounds.count, by: 2).map { String(decoding: text[bounds[$0]..<bounds[$0 + 1]], as: UTF8.self) }
        }

        /// The same fields (however their text is laid out), ID and number.
        public static func == (a: Record, b: Record) -> Bool {
            a.fields == b.fields && a.withID == b.withID && a.number == b.number
        }

        init(fields: [String], withID: Bool, number: Int) {
            var text: [UInt8] = [], bounds: [Int] = []
            for field in fields {
                bounds.append(text.count)
                text.append(contentsOf: field.utf8)
                bounds.append(text.count)
            }
            self.init(text: text, bounds: bounds, withID: withID, number: number)
        }
    }

    /// The columns every record must carry.
    public let requiredColumns: [String]
    /// The ID column carried to the answer when a record has it.
    public let idColumn: String?
    /// Output columns written as JSON numbers (the rest are strings; empty fields are null).
    public let numericOutputs: Set<String>
    public let manifest: JSONValue
    public let version: String
    public let kind: String
    let variants: [Variant]  // [without ID, with ID]
    /// Each read field's place in a record: the required columns in order, then the ID column.
    let positions: [String: Int]
    /// The quick reader of plain bodies.
    let reader: TabularRecordReader

    /// The header, output columns and idle workers of records with or without the ID.
    final class Variant: Sendable {
        let header: [String]
        let outputColumns: [String]
        let makeWorker: @Sendable ([String]) throws -> Worker
        let idle = Protected<[WorkerSlot]>([])

        init(header: [String], outputColumns: [String], makeWorker: @escaping @Sendable ([String]) throws -> Worker) {
            self.header = header
            self.outputColumns = outputColumns
            self.makeWorker = makeWorker
        }

        func withWorker<R>(_ body: (WorkerSlot) throws -> R) throws -> R {
            let slot = try idle.withLock { $0.popLast() } ?? WorkerSlot(worker: makeWorker(header), header: header)
            defer { idle.withLock { $0.append(slot) } }
            return try body(slot)
        }
    }

    /// A worker with its record buffer and output line, used by one scoring thread at a time.
    final class WorkerSlot: @unchecked Sendable {
        var worker: Worker
        let buffer: CSVRecordBuffer
        var line = CSVLine()

        init(worker: Worker, header: [String]) {
            self.worker = worker
            buffer = CSVRecordBuffer(source: "request", columns: header)
        }

        deinit { line.deallocate() }
    }

    /// - Parameters:
    ///   - requiredColumns: the input columns the model reads.
    ///   - idColumn: the model's ID column, if any.
    ///   - makeWorker: the domain's batch worker for records with a header (throws naming missing columns).
    ///   - outputColumns: the output header for an input header.
    public init(requiredColumns: [String], idColumn: String?, numericOutputs: Set<String>, manifest: JSONValue, version: String,
                kind: String, makeWorker: @escaping @Sendable ([String]) throws -> Worker,
                outputColumns: ([String]) -> [String]) throws {
        self.requiredColumns = requiredColumns
        self.idColumn = idColumn.flatMap { requiredColumns.contains($0) ? nil : $0 }
        self.numericOutputs = numericOutputs
        var positions = Dictionary(requiredColumns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        if let id = self.idColumn { positions[id] = requiredColumns.count }
        self.positions = positions
        reader = TabularRecordReader(requiredColumns: requiredColumns, idColumn: self.idColumn)
        self.manifest = manifest
        self.version = version
        self.kind = kind
        var variants = [Variant(header: requiredColumns, outputColumns: outputColumns(requiredColumns), makeWorker: makeWorker)]
        if let id = self.idColumn {
            let header = requiredColumns + [id]
            variants.append(Variant(header: header, outputColumns: outputColumns(header), makeWorker: makeWorker))
        }
        self.variants = variants
        for variant in variants { _ = try variant.withWorker { _ in () } }  // fails at start-up, not on the first request
    }

    public func decode(_ body: ScoreRequestBody) throws(ServeError) -> DecodedRequest<Record> {
        if let quick = reader.read(body.bytes, limits: body.limits) { return quick }
        return try decodeThoroughly(body)
    }

    /// The body through a ``JSONDocument``: every JSON the reader leaves out, and every refusal.
    func decodeThoroughly(_ body: ScoreRequestBody) throws(ServeError) -> DecodedRequest<Record> {
        let limits = body.limits
        let document: JSONDocument
        do {
            // Values: every record's fields and its object, nested values in ignored fields included.
            document = try JSONDocument.parse(body.bytes, limits: .init(maxDepth: limits.maxDepth, maxMembers: max(limits.maxRecords, limits.maxFields),
                                                                        maxValues: min(limits.maxRecords * 64, 1_000_000)))
        } catch {
            let status = error.kind == .tooManyMembers ? 413 : 400
            throw ServeError(status: status, "the body is not a JSON record or list of records: \(error)",
                             hint: "send one JSON object with the training CSV's column names as fields, or a JSON array of them")
        }
        switch document {
        case let .object(members):
            return DecodedRequest(records: [try record(members, number: 1, single: true, limits: limits)], single: true)
        case let .array(elements):
            guard elements.count <= limits.maxRecords else {
                throw ServeError(status: 413, "\(elements.count) records in one request; at most \(limits.maxRecords)", hint: "split them over several requests")
            }
            var records: [Record] = []
            records.reserveCapacity(elements.count)
            for (k, element) in elements.enumerated() {
                guard case let .object(members) = element else {
                    throw ServeError.badRequest("record \(k + 1) is \(element.typeName), not an object", hint: "send a JSON array of objects")
                }
                records.append(try record(members, number: k + 1, single: false, limits: limits))
            }
            return DecodedRequest(records: records, single: false)
        default:
            throw ServeError.badRequest("the body is \(document.typeName); a JSON object or an array of objects is needed")
        }
    }

    func record(_ members: [(String, JSONDocument)], number: Int, single: Bool, limits: RequestLimits) throws(ServeError) -> Record {
        let label = single ? "" : "record \(number): "
        guard members.count <= limits.maxFields else {
            throw ServeError(status: 413, "\(label)\(members.count) fields; at most \(limits.maxFields)", hint: "send only the model's fields")
        }
        var values = [JSONDocument?](repeating: nil, count: requiredColumns.count + 1)
        for (name, value) in members {
            guard let k = positions[name] else { continue }
            if case .some = values[k] { throw ServeError.badRequest("\(label)field '\(name)' appears twice", field: name) }
            values[k] = value
        }
        var fields: [String] = []
        fields.reserveCapacity(requiredColumns.count + 1)
        for (k, name) in requiredColumns.enumerated() {
            guard let value = values[k] else {
                throw ServeError.badRequest("\(label)field '\(name)' is missing", field: name,
                                            hint: "the model reads \(requiredColumns.count) fields: \(requiredColumns.joined(separator: ", ")) (null for a missing value)")
            }
            fields.append(try text(value, field: name, label: label))
        }
        var withID = false
        if let id = idColumn, let value = values[requiredColumns.count] {
            fields.append(try text(value, field: id, label: label))
            withID = true
        }
        return Record(fields: fields, withID: withID, number: number)
    }

    func text(_ value: JSONDocument, field: String, label: String) throws(ServeError) -> String {
        switch value {
        case let .string(s): return s
        case let .number(n): return n
        case let .bool(b): return b ? "true" : "false"
        case .null: return ""
        case .object, .array:
            throw ServeError.badRequest("\(label)field '\(field)' is \(value.typeName); a number or text is needed", field: field)
        }
    }

    public func score(_ records: [Record]) -> [Result<JSONValue, ServeError>] {
        var outcomes = [Result<JSONValue, ServeError>?](repeating: nil, count: records.count)
        for variant in variants.indices {
            let indices = records.indices.filter { records[$0].withID == (variant == 1) }
            if indices.isEmpty { continue }
            let v = variants[variant]
            do {
                try v.withWorker { slot in
                    for i in indices { outcomes[i] = score(records[i], slot: slot, outputColumns: v.outputColumns) }
                }
            } catch {
                for i in indices { outcomes[i] = .failure(ServeError(status: 500, "the model could not start a scorer: \(error)")) }
            }
        }
        return outcomes.map { $0! }
    }

    func score(_ record: Record, slot: WorkerSlot, outputColumns: [String]) -> Result<JSONValue, ServeError> {
        slot.line.clear()
        do {
            try slot.buffer.withRow(text: record.text, bounds: record.bounds, number: record.number) { row in try slot.worker.encode(row, into: &slot.line) }
        } catch let error as CSVRowError {
            return .failure(ServeError.badRequest(error.column.map { "field '\($0)': \(error.reason)" } ?? error.reason, field: error.column))
        } catch {
            return .failure(ServeError.unprocessable("\(error)"))
        }
        let values = slot.line.fields
        var answer: [(String, JSONValue)] = []
        answer.reserveCapacity(values.count)
        for (name, value) in zip(outputColumns, values) {
            if value.isEmpty {
                answer.append((name, .null))
            } else if numericOutputs.contains(name), let number = Double(value), number.isFinite {
                answer.append((name, .double(number)))
            } else {
                answer.append((name, .string(value)))
            }
        }
        return .success(.object(answer))
    }
}
