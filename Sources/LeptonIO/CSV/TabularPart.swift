#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable column of plain values in C memory (`realloc` growth: large blocks grow by
/// remapping pages, without copying what is written). A value type over manually managed
/// memory, for reference-count-free appends: the owner calls ``deallocate()`` once.
struct GrowableColumn<Element: BitwiseCopyable> {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 256)
        guard let memory = malloc(self.capacity * MemoryLayout<Element>.stride) else {
            fatalError("out of memory allocating a column of \(self.capacity) values")
        }
        base = memory.assumingMemoryBound(to: Element.self)
    }

    /// Frees the memory; the column must not be used afterwards.
    func deallocate() { free(base) }

    @inline(__always)
    mutating func append(_ value: Element) {
        if count == capacity { grow() }
        base[count] = value
        count += 1
    }

    /// Copies the values to `destination` (room for ``count`` values).
    func copy(to destination: UnsafeMutablePointer<Element>) {
        destination.update(from: base, count: count)
    }

    /// Lends the values.
    func withElements<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    private mutating func grow() {
        capacity *= 2
        guard let memory = realloc(base, capacity * MemoryLayout<Element>.stride) else {
            fatalError("out of memory growing a column to \(capacity) values")
        }
        base = memory.assumingMemoryBound(to: Element.self)
    }
}

/// The rows of one part of a file read by ``TabularTable/read(path:kinds:options:threads:)``:
/// numbers, category codes local to this part (with the interner that gives them), rejects
/// with row numbers counted within the part.
///
/// A row is kept or rejected exactly as ``TabularTable/readTwoPass(path:kinds:options:)``
/// decides: malformed rows, text in a column declared numeric, invalid UTF-8 in a category —
/// the first problem in column order names the column. Guessed (not declared) numeric columns
/// that hold text are flagged in ``heldText`` for every well-formed row, rejected or not, so
/// that one pass settles every column's kind.
final class TabularPart: CSVPartResult, @unchecked Sendable {  // Owned by one thread while reading, read-only after.
    let width: Int
    /// Per column, in raw memory so that the per-field loop does no reference counting: its
    /// kind (0 numeric, 1 categorical, 2 text), whether it was declared, its numbers or codes,
    /// its interner.
    let kind: UnsafeMutablePointer<UInt8>
    let declared: UnsafeMutablePointer<Bool>
    let numbers: UnsafeMutablePointer<GrowableColumn<Double>>
    let codes: UnsafeMutablePointer<GrowableColumn<Int32>>
    let interners: UnsafeMutablePointer<ByteInterner>
    /// Per column: guessed numeric, but some well-formed row holds a non-missing non-number.
    let heldText: UnsafeMutablePointer<Bool>
    /// Staging of one row: numbers, codes (or -2: new), and the new categories' hashes.
    let stagedNumbers: UnsafeMutablePointer<Double>
    let stagedCodes: UnsafeMutablePointer<Int32>
    let stagedHashes: UnsafeMutablePointer<UInt64>
    /// Where each staged field lies in the line (for new categories and texts), start and end.
    let stagedBounds: UnsafeMutablePointer<Int>
    /// What ``takeLine(_:_:_:)`` needs of the file: its missing tokens, delimiter and limits.
    let context: CSVContext
    let delimiter: UInt8
    let maxFieldBytes: Int
    let maxRowBytes: Int
    /// The rows of text columns (empty for the others), and their staging.
    var texts: [[String]]
    var stagedTexts: [String]
    var rejected: [CSVRowError] = []
    var rowsRead = 0
    /// Whether the part's range ended between records (see ``CSVReader/Counts``).
    var endedBetweenRecords = true
    /// Quote characters in the part's range (when counted).
    var quotes = 0
    var keptRows = 0

    init(kinds: [TabularTable.Kind], declared: [Bool], expectedRows: Int, context: CSVContext, options: CSVOptions) {
        self.context = context
        delimiter = options.delimiter
        maxFieldBytes = options.maxFieldBytes
        maxRowBytes = options.maxRowBytes
        width = kinds.count
        let n = max(width, 1)
        // At least 1,024 rows reserved per column, fewer for very wide files (16 at a million columns).
        let rows = min(max(expectedRows, max(16, min(1024, (1 << 24) / n))), 1 << 24)
        kind = .allocate(capacity: n)
        kind.initialize(from: kinds.map { $0 == .numeric ? 0 : ($0 == .categorical ? 1 : 2) }, count: width)
        texts = kinds.map { _ in [] }
        stagedTexts = kinds.map { _ in "" }
        self.declared = .allocate(capacity: n)
        self.declared.initialize(from: declared, count: width)
        numbers = .allocate(capacity: n)
        codes = .allocate(capacity: n)
        interners = .allocate(capacity: n)
        for j in 0..<width {
            (numbers + j).initialize(to: GrowableColumn(capacity: kinds[j] == .numeric ? rows : 0))
            (codes + j).initialize(to: GrowableColumn(capacity: kinds[j] == .categorical ? rows : 0))
            (interners + j).initialize(to: ByteInterner(expected: 16))
        }
        heldText = .allocate(capacity: n)
        heldText.initialize(repeating: false, count: n)
        stagedNumbers = .allocate(capacity: n)
        stagedNumbers.initialize(repeating: 0, count: n)
        stagedCodes = .allocate(capacity: n)
        stagedCodes.initialize(repeating: 0, count: n)
        stagedHashes = .allocate(capacity: n)
        stagedHashes.initialize(repeating: 0, count: n)
        stagedBounds = .allocate(capacity: 2 * n)
        stagedBounds.initialize(repeating: 0, count: 2 * n)
    }

    deinit {
        for j in 0..<width {
            numbers[j].deallocate()
            codes[j].deallocate()
            interners[j].deallocate()
        }
        for pointer in [UnsafeMutableRawPointer(kind), UnsafeMutableRawPointer(declared), UnsafeMutableRawPointer(numbers),
                        UnsafeMutableRawPointer(codes), UnsafeMutableRawPointer(interners), UnsafeMutableRawPointer(heldText),
                        UnsafeMutableRawPointer(stagedNumbers), UnsafeMutableRawPointer(stagedCodes),
                        UnsafeMutableRawPointer(stagedHashes), UnsafeMutableRawPointer(stagedBounds)] {
            pointer.deallocate()
        }
    }

    /// Takes one row: keeps it, or records why not.
    func add(_ row: CSVRow) {
        if let error = row.problemError {
            rejected.append(error)
            return
        }
        var rejection: CSVRowError?
        for j in 0..<width {
            let kind = kind[j]
            if kind == 0 {
                if let value = Self.number(row, j) {
                    stagedNumbers[j] = value
                } else if declared[j] {
                    if rejection == nil { rejection = Self.notANumberError(row, j) }
                } else {
                    heldText[j] = true
                    if rejection == nil { rejection = row.error(column: j, reason: "text in a column guessed numeric") }
                }
                continue
            }
            if rejection != nil { continue }
            if kind == 2 {
                if row.isMissing(at: j) {
                    stagedTexts[j] = ""
                } else if let text = String(validating: row.bytes(at: j), as: UTF8.self) {
                    stagedTexts[j] = text
                } else {
                    rejection = row.error(column: j, reason: "text is not valid UTF-8. Hint: save the file as UTF-8")
                }
                continue
            }
            if row.isMissing(at: j) {
                stagedCodes[j] = -1
                continue
            }
            let field = row.bytes(at: j)
            let hash = ByteInterner.hash(field)
            let code = interners[j].code(of: field, hash: hash)
            if code >= 0 {
                stagedCodes[j] = code
            } else if String(validating: field, as: UTF8.self) == nil {
                rejection = row.error(column: j, reason: "text is not valid UTF-8. Hint: save the file as UTF-8")
            } else {
                stagedCodes[j] = -2
                stagedHashes[j] = hash
            }
        }
        if let rejection {
            rejected.append(rejection)
            return
        }
        for j in 0..<width {
            let kind = kind[j]
            if kind == 0 {
                numbers[j].append(stagedNumbers[j])
                continue
            }
            if kind == 2 {
                texts[j].append(stagedTexts[j])
                continue
            }
            var code = stagedCodes[j]
            if code == -2 { code = interners[j].insertNew(row.bytes(at: j), hash: stagedHashes[j]) }
            codes[j].append(code)
        }
        keptRows += 1
    }
    /// Field `j` as a number (NaN when missing), or nil when it is text.
    @inline(__always)
    static func number(_ row: CSVRow, _ j: Int) -> Double? {
        let field = row.bytes(at: j)
        // Unless a missing token looks numeric (say -999), a field starting with a digit or
        // minus sign is never missing: parse it straight away.
        if !row.context.hasNumericMissingToken, let first = field.first, (first >= 0x30 && first <= 0x39) || first == 0x2D {
            return DecimalParser.parseDouble(field)
        }
        if row.isMissing(at: j) { return .nan }
        return DecimalParser.parseDouble(field)
    }

    /// The error ``CSVRow/double(at:)`` throws for text in a numeric column.
    static func notANumberError(_ row: CSVRow, _ j: Int) -> CSVRowError {
        do {
            _ = try row.double(at: j)
        } catch let error as CSVRowError {
            return error
        } catch {}
        return row.error(column: j, reason: "not a number")
    }
}
