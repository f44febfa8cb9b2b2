/// A CSV file read into typed columns: numbers where every non-missing value is a number,
/// categories (text levels) otherwise — or as a caller's schema says.
///
/// Two passes over the file: the first decides each column's kind, the second fills the
/// columns. Malformed rows are left out and listed in ``rejected`` with their row number.
public struct TabularTable: Sendable {
    public enum Kind: String, Sendable, Codable {
        case numeric
        case categorical
    }

    /// One column: `numbers` (NaN for missing) when numeric; `codes` into `levels` (−1 for
    /// missing) when categorical. Levels are in order of first appearance.
    public struct Column: Sendable {
        public let name: String
        public let kind: Kind
        public let numbers: [Double]
        public let codes: [Int32]
        public let levels: [String]

        /// The value of row `i` as text ("" when missing), for messages and exports.
        public func text(at i: Int) -> String {
            switch kind {
            case .numeric: return numbers[i].isNaN ? "" : String(numbers[i])
            case .categorical: return codes[i] < 0 ? "" : levels[Int(codes[i])]
            }
        }

        /// How many rows are missing.
        public var missingCount: Int {
            kind == .numeric ? numbers.reduce(0) { $0 + ($1.isNaN ? 1 : 0) } : codes.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }
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

    /// Reads `path`; `kinds` overrides the inferred kind of the columns it names.
    public static func read(path: String, kinds: [String: Kind] = [:], options: CSVOptions = CSVOptions()) throws -> TabularTable {
        let reader = try CSVReader(path: path, options: options)
        let names = reader.columns
        for name in kinds.keys where !names.contains(name) {
            throw CSVFileError.missingColumn(path: path, name: name, available: names)
        }
        // Pass 1: a column is numeric while every non-missing value parses as a number.
        var numeric = [Bool](repeating: true, count: names.count)
        try reader.forEachRow { row in
            guard row.problem == nil else { return }
            for j in 0..<names.count where numeric[j] && !row.isMissing(at: j) {
                if DecimalParser.parseDouble(row.bytes(at: j)) == nil { numeric[j] = false }
            }
        }
        let resolved: [Kind] = names.enumerated().map { j, name in kinds[name] ?? (numeric[j] ? .numeric : .categorical) }
        // Pass 2: fill.
        var numbers = [[Double]](repeating: [], count: names.count)
        var codes = [[Int32]](repeating: [], count: names.count)
        var levels = [[String]](repeating: [], count: names.count)
        var levelIndex = [[String: Int32]](repeating: [:], count: names.count)
        var rejected: [CSVRowError] = []
        var staged = [Double](repeating: 0, count: names.count)
        var stagedText = [String?](repeating: nil, count: names.count)
        let counts = try reader.forEachRow { row in
            if let error = row.problemError {
                rejected.append(error)
                return
            }
            do {
                for j in 0..<names.count {
                    switch resolved[j] {
                    case .numeric: staged[j] = try row.double(at: j) ?? .nan
                    case .categorical: stagedText[j] = row.isMissing(at: j) ? nil : try row.string(at: j)
                    }
                }
            } catch let error as CSVRowError {
                rejected.append(error)
                return
            }
            for j in 0..<names.count {
                switch resolved[j] {
                case .numeric: numbers[j].append(staged[j])
                case .categorical:
                    guard let text = stagedText[j] else {
                        codes[j].append(-1)
                        continue
                    }
                    if let code = levelIndex[j][text] {
                        codes[j].append(code)
                    } else {
                        let code = Int32(levels[j].count)
                        levels[j].append(text)
                        levelIndex[j][text] = code
                        codes[j].append(code)
                    }
                }
            }
        }
        let columns = names.indices.map { j in
            Column(name: names[j], kind: resolved[j], numbers: numbers[j], codes: codes[j], levels: levels[j])
        }
        let rowCount = resolved.first.map { $0 == .numeric ? numbers[0].count : codes[0].count } ?? 0
        return TabularTable(path: path, columns: columns, rowCount: rowCount, rowsRead: counts.rows, rejected: rejected)
    }
}
