import Synchronization

/// A CSV file read into typed columns: numbers where every non-missing value is a number,
/// categories (text levels) otherwise — or as a caller's schema says (which may also ask for
/// text kept as written, one `String` per row, for identifiers).
///
/// One pass over the file, on as many cores as asked: the kinds are guessed from the first
/// rows, then disjoint parts of the file are read concurrently (categories interned by their
/// raw bytes) and merged; in the rare case where a column guessed numeric turns out to hold
/// text further down, the file is read once more with the kinds the first pass established (and
/// where malformed quoting makes a part's cut fall inside a record, sequentially).
/// The result equals ``readTwoPass(path:kinds:options:)`` (the naive reference) exactly.
/// Malformed rows are left out and listed in ``rejected`` with their row number.
public struct TabularTable: Sendable {
    public enum Kind: String, Sendable, Codable {
        case numeric
        case categorical
        /// Each row's text as written ("" when missing), without levels: for identifiers, whose
        /// values are all different. Only when asked for; never inferred.
        case text
    }

    /// One column: `numbers` (NaN for missing) when numeric; `codes` into `levels` (−1 for
    /// missing) when categorical; `texts` when text. Levels are in order of first appearance.
    public struct Column: Sendable {
        public let name: String
        public let kind: Kind
        public let numbers: [Double]
        public let codes: [Int32]
        public let levels: [String]
        public let texts: [String]

        init(name: String, kind: Kind, numbers: [Double] = [], codes: [Int32] = [], levels: [String] = [], texts: [String] = []) {
            self.name = name
            self.kind = kind
            self.numbers = numbers
            self.codes = codes
            self.levels = levels
            self.texts = texts
        }

        /// The value of row `i` as text ("" when missing), for messages and exports.
        public func text(at i: Int) -> String {
            switch kind {
            case .numeric: return numbers[i].isNaN ? "" : String(numbers[i])
            case .categorical: return codes[i] < 0 ? "" : levels[Int(codes[i])]
            case .text: return texts[i]
            }
        }

        /// How many rows are missing.
        public var missingCount: Int {
            switch kind {
            case .numeric: return numbers.reduce(0) { $0 + ($1.isNaN ? 1 : 0) }
            case .categorical: return codes.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }
            case .text: return texts.reduce(0) { $0 + ($1.isEmpty ? 1 : 0) }
            }
        }
    }

    public let path: String
    public let columns: [Column]
    public let rowCount: Int
    /// Data rows read (kept or not).
    public let rowsRead: Int
    public let rejected: [CSVRowError]

    /// The column called `name`, or a `CSVFileError.missingColumn`.
    public func column(_ name: String) throws -> Column {
        guard let column = columns.first(where: { $0.name == name }) else {
            throw CSVFileError.missingColumn(path: path, name: name, available: columns.map(\.name))
        }
        return column
    }

    /// Reads `path` using `threads` cores; `kinds` overrides the inferred kind of the columns it
    /// names (a row whose field in a column declared numeric holds text is rejected).
    ///
    /// A column is numeric when every non-missing value of every well-formed row is a number,
    /// categorical otherwise; levels are in order of first appearance among the kept rows.
    public static func read(path: String, kinds: [String: Kind] = [:], options: CSVOptions = CSVOptions(),
                            threads: Int = ThreadCount.auto.resolved) throws -> TabularTable {
        let reader = try CSVReader(path: path, options: options)
        let names = reader.columns
        for name in kinds.keys where !names.contains(name) {
            throw CSVFileError.missingColumn(path: path, name: name, available: names)
        }
        let forced = names.map { kinds[$0] }
        var guess = try guessKinds(reader, forced: forced)
        var parts = try readParts(reader, kinds: guess, forced: forced, threads: threads)
        let wrong = (0..<names.count).filter { j in parts.contains { $0.heldText[j] } }
        if !wrong.isEmpty {
            // A column guessed numeric holds text further down: the first pass has checked every
            // well-formed row of every guessed column, so the kinds are now exact.
            for j in wrong { guess[j] = .categorical }
            parts = try readParts(reader, kinds: guess, forced: forced, threads: threads)
        }
        return merge(parts, names: names, kinds: guess, path: path, options: options)
    }

    /// Kinds from the first rows (about 64 KB): declared ones as given; otherwise categorical
    /// when some well-formed row of the sample has a non-missing value that is not a number,
    /// numeric until proven otherwise.
    static func guessKinds(_ reader: CSVReader, forced: [Kind?]) throws -> [Kind] {
        var numeric = [Bool](repeating: true, count: forced.count)
        try reader.forEachRow(in: reader.sampleRange(bytes: 1 << 16)) { row in
            guard row.problem == nil else { return }
            for j in 0..<forced.count where forced[j] == nil && numeric[j] && !row.isMissing(at: j) {
                if DecimalParser.parseDouble(row.bytes(at: j)) == nil { numeric[j] = false }
            }
        }
        return forced.indices.map { forced[$0] ?? (numeric[$0] ? .numeric : .categorical) }
    }

    /// Reads `threads` disjoint parts of the data concurrently, exactly as one sequential read
    /// would: cut first at line ends without a pass over the file for quotes, each part counting
    /// its quote characters; when an odd number precede a cut (the cut is inside a quoted field)
    /// read again cut quote-aware (``CSVReader/parts(_:)``); and when a part still ends inside
    /// what the reader takes as a record (malformed quoting flips the parity), read it whole.
    static func readParts(_ reader: CSVReader, kinds: [Kind], forced: [Kind?], threads: Int) throws -> [TabularPart] {
        let count = max(1, threads)
        return try reader.readInParts(first: count > 1 ? .lineEnds : .whole, ranges: { reader.partRanges(count, cuts: $0) }) {
            ranges, countQuotes in
            try readParts(reader, ranges: ranges, kinds: kinds, forced: forced, countQuotes: countQuotes)
        }.parts
    }

    /// Reads `ranges` concurrently, one thread each.
    static func readParts(_ reader: CSVReader, ranges: [Range<Int>], kinds: [Kind], forced: [Kind?],
                          countQuotes: Bool = false) throws -> [TabularPart] {
        try Parallel.map(ranges.count, threads: ranges.count) { k in
            // A row takes at least two bytes per column (a value and a delimiter): a wide file's
            // columns reserve few rows (1,000,000 columns once reserved 19 GB).
            let bytesPerRow = max(64, 2 * kinds.count)
            let part = TabularPart(kinds: kinds, declared: forced.map { $0 != nil }, expectedRows: ranges[k].count / bytesPerRow,
                                   context: reader.context, options: reader.options)
            // Runs of plain lines straight into the columns; any other line through the general reader.
            let hook: CSVRangeReader.LineHook = { data, start, end in
                var next = start, lines = 0
                while next < end, let after = part.takeLine(data, next, end) {
                    next = after
                    lines += 1
                }
                return (next, lines)
            }
            let (counts, quotes) = try reader.readRange(ranges[k], firstNumber: 1, lineHook: hook, countQuotes: countQuotes) { row in
                part.add(row)
            }
            part.rowsRead = counts.rows
            part.endedBetweenRecords = counts.endedBetweenRecords
            part.quotes = quotes
            return part
        }
    }

    /// Joins the parts in file order: numbers concatenated, level codes renumbered in order of
    /// first appearance over the whole file, reject row numbers counted from the file's start.
    static func merge(_ parts: [TabularPart], names: [String], kinds: [Kind], path: String, options: CSVOptions) -> TabularTable {
        let total = parts.reduce(0) { $0 + $1.keptRows }
        // Columns are joined independently, on two threads.
        let columns = Parallel.map(names.count, threads: 2) { j in mergeColumn(j, parts, name: names[j], kind: kinds[j], total: total) }
        let rejected = CSVRowError.inFileRows(parts.map { ($0.rejected, $0.rowsRead) }, hasHeader: options.hasHeader)
        return TabularTable(path: path, columns: columns, rowCount: total, rowsRead: parts.reduce(0) { $0 + $1.rowsRead },
                            rejected: rejected)
    }

    /// Column `j` from its parts, in part order.
    static func mergeColumn(_ j: Int, _ parts: [TabularPart], name: String, kind: Kind, total: Int) -> Column {
        switch kind {
        case .numeric:
            let numbers = [Double](writingEvery: total) { buffer in
                var r = 0
                for part in parts {
                    part.numbers[j].copy(to: buffer.baseAddress! + r)
                    r += part.keptRows
                }
            }
            return Column(name: name, kind: .numeric, numbers: numbers)
        case .categorical:
            let (codes, levels) = mergeCategories(parts.map { ($0.interners[j], $0.codes[j]) }, total: total)
            return Column(name: name, kind: .categorical, codes: codes, levels: levels)
        case .text:
            return Column(name: name, kind: .text, texts: parts.flatMap { $0.texts[j] })
        }
    }

    /// One categorical column from its parts: each part's local codes mapped to global codes
    /// (first appearance in file order), then levels that are equal as `String`s (canonically
    /// equivalent Unicode in different bytes) joined into the first, as a `String`-keyed read does.
    static func mergeCategories(_ parts: [(ByteInterner, GrowableColumn<Int32>)], total: Int) -> (codes: [Int32], levels: [String]) {
        var global = ByteInterner(expected: parts.first?.0.count ?? 16)
        defer { global.deallocate() }
        var remaps: [[Int32]] = []
        for (interner, _) in parts {
            remaps.append((0..<interner.count).map { code in
                interner.withBytes(of: code) { global.intern($0, hash: interner.hash(of: code)) }
            })
        }
        var levels = (0..<global.count).map { code in global.withBytes(of: code) { String(decoding: $0, as: UTF8.self) } }
        if global.hasNonASCII {
            var first: [String: Int32] = [:]
            var unique: [String] = []
            let canonical = levels.map { level -> Int32 in
                if let code = first[level] { return code }
                let code = Int32(unique.count)
                first[level] = code
                unique.append(level)
                return code
            }
            if unique.count < levels.count {
                remaps = remaps.map { $0.map { canonical[Int($0)] } }
                levels = unique
            }
        }
        let codes = [Int32](writingEvery: total) { buffer in
            var r = 0
            for ((_, local), remap) in zip(parts, remaps) {
                remap.withUnsafeBufferPointer { map in
                    local.withElements { values in
                        for (i, code) in values.enumerated() { buffer[r + i] = code < 0 ? -1 : map[Int(code)] }
                    }
                }
                r += local.count
            }
        }
        return (codes, levels)
    }
}


