import LeptonIO

/// The quick way to read a `POST /v1/score` body of tabular records: straight from the bytes
/// into each record's field text, without building a ``JSONDocument`` of strings first.
///
/// It reads only the plain case — one object, or an array of objects, whose members are
/// scalars (the fields the model does not read included), names and strings without escapes,
/// each field the model reads present once, within the request limits — and gives up (nil)
/// on anything else: the caller then decodes the body the thorough way
/// (``TabularServedModel/decode(_:)`` through ``JSONDocument``), which accepts what this
/// leaves out and words every refusal. So a body reads the same either way; only the time
/// differs (a test compares the two on generated and mutated bodies).
struct TabularRecordReader {
    /// The fields the model reads, as UTF-8: the required columns, then the ID column.
    let names: [[UInt8]]
    let requiredCount: Int

    init(requiredColumns: [String], idColumn: String?) {
        names = (requiredColumns + (idColumn.map { [$0] } ?? [])).map { Array($0.utf8) }
        requiredCount = requiredColumns.count
    }

    /// The records of `body`, or nil where the thorough way must decide.
    func read(_ body: [UInt8], limits: RequestLimits) -> DecodedRequest<TabularServedModel.Record>? {
        body.withUnsafeBufferPointer { bytes in
            var cursor = Cursor(bytes: bytes)
            // The thorough path's limits: members per container, values in all.
            let maxMembers = max(limits.maxRecords, limits.maxFields)
            let maxValues = min(limits.maxRecords * 64, 1_000_000)
            cursor.skipSpace()
            guard let first = cursor.peek else { return nil }
            var records: [TabularServedModel.Record] = []
            let single = first == UInt8(ascii: "{")
            var values = 0
            if single {
                values = 1
                guard let record = readRecord(&cursor, number: 1, values: &values, limits: limits, maxMembers: maxMembers) else { return nil }
                records.append(record)
            } else {
                guard first == UInt8(ascii: "["), limits.maxDepth >= 2 else { return nil }
                cursor.position += 1
                values = 1
                cursor.skipSpace()
                if cursor.peek == UInt8(ascii: "]") {
                    cursor.position += 1
                } else {
                    while true {
                        cursor.skipSpace()
                        guard cursor.peek == UInt8(ascii: "{"), records.count < min(maxMembers, limits.maxRecords) else { return nil }
                        values += 1
                        guard let record = readRecord(&cursor, number: records.count + 1, values: &values, limits: limits, maxMembers: maxMembers) else { return nil }
                        records.append(record)
                        cursor.skipSpace()
                        guard let next = cursor.peek else { return nil }
                        cursor.position += 1
                        if next == UInt8(ascii: "]") { break }
                        guard next == UInt8(ascii: ",") else { return nil }
                    }
                }
            }
            cursor.skipSpace()
            guard cursor.position == bytes.count, values <= maxValues else { return nil }
            return DecodedRequest(records: records, single: single)
        }
    }

    /// One object at the cursor (its `{`), or nil.
    private func readRecord(_ cursor: inout Cursor, number: Int, values: inout Int, limits: RequestLimits, maxMembers: Int) -> TabularServedModel.Record? {
        guard limits.maxDepth >= 1 else { return nil }
        cursor.position += 1
        var text: [UInt8] = []
        text.reserveCapacity(16 * names.count)
        var bounds = [Int](repeating: -1, count: 2 * names.count)
        var members = 0
        var expected = 0
        cursor.skipSpace()
        if cursor.peek == UInt8(ascii: "}") {
            cursor.position += 1
        } else {
            while true {
                cursor.skipSpace()
                guard cursor.peek == UInt8(ascii: "\""), let name = cursor.plainString() else { return nil }
                members += 1
                guard members <= min(maxMembers, limits.maxFields) else { return nil }
                cursor.skipSpace()
                guard cursor.peek == UInt8(ascii: ":") else { return nil }
                cursor.position += 1
                cursor.skipSpace()
                values += 1
                let field = position(of: name, expected: expected, in: cursor.bytes)
                if let field {
                    guard bounds[2 * field] < 0 else { return nil }  // twice
                    bounds[2 * field] = text.count
                    guard cursor.scalar(into: &text) else { return nil }
                    bounds[2 * field + 1] = text.count
                    expected = field + 1
                } else {
                    var ignored: [UInt8] = []
                    guard cursor.scalar(into: &ignored) else { return nil }
                }
                cursor.skipSpace()
                guard let next = cursor.peek else { return nil }
                cursor.position += 1
                if next == UInt8(ascii: "}") { break }
                guard next == UInt8(ascii: ",") else { return nil }
            }
        }
        for k in 0..<requiredCount where bounds[2 * k] < 0 { return nil }  // a missing field: the thorough path names it
        let withID = names.count > requiredCount && bounds[2 * requiredCount] >= 0
        if !withID && names.count > requiredCount { bounds.removeLast(2) }
        return TabularServedModel.Record(text: text, bounds: bounds, withID: withID, number: number)
    }

    /// Which read field `name` is (trying the one after the last first: clients tend to send
    /// the columns in order), or nil for a field the model does not read.
    private func position(of name: Range<Int>, expected: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        func matches(_ k: Int) -> Bool {
            let candidate = names[k]
            guard candidate.count == name.count else { return false }
            for i in 0..<candidate.count where candidate[i] != bytes[name.lowerBound + i] { return false }
            return true
        }
        if expected < names.count, matches(expected) { return expected }
        for k in names.indices where k != expected && matches(k) { return k }
        return nil
    }

    /// A position in the body.
    struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipSpace() {
            while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x0D || bytes[position] == 0x09 {
                position += 1
            }
        }

        /// The content of a string at the cursor (its `"`) that has no escapes, no control
        /// characters and only ASCII (anything else: nil).
        mutating func plainString() -> Range<Int>? {
            let start = position + 1
            var i = start
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: "\"") {
                    position = i + 1
                    return start..<i
                }
                guard b >= 0x20, b < 0x80, b != UInt8(ascii: "\\") else { return nil }
                i += 1
            }
            return nil
        }

        /// Appends a scalar's field text to `text` — a plain string's content, a number's text,
        /// `true`/`false`, nothing for `null` — as ``TabularServedModel`` takes them; false for
        /// anything else (an object, an array, an escape, a malformed value).
        mutating func scalar(into text: inout [UInt8]) -> Bool {
            guard let b = peek else { return false }
            switch b {
            case UInt8(ascii: "\""):
                guard let range = plainString() else { return false }
                text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[range]))
                return true
            case UInt8(ascii: "t"): return word("true", into: &text)
            case UInt8(ascii: "f"): return word("false", into: &text)
            case UInt8(ascii: "n"):
                var nothing: [UInt8] = []
                return word("null", into: &nothing)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = position
                guard number() else { return false }
                text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<position]))
                return true
            default: return false
            }
        }

        private mutating func word(_ w: StaticString, into text: inout [UInt8]) -> Bool {
            let n = w.utf8CodeUnitCount
            guard position + n <= bytes.count else { return false }
            for k in 0..<n where bytes[position + k] != w.utf8Start[k] { return false }
            text.append(contentsOf: UnsafeBufferPointer(start: w.utf8Start, count: n))
            position += n
            return true
        }

        /// Moves past a number (``JSONNumberGrammar``); false when it is malformed.
        private mutating func number() -> Bool {
            let (end, problem) = JSONNumberGrammar.scan(bytes, from: position)
            guard problem == nil else { return false }
            position = end
            return true
        }
    }
}
