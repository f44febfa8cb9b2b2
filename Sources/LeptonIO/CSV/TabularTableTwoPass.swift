extension TabularTable {
    /// The naive twin of ``read(path:kinds:options:threads:)``, kept as its reference: two
    /// sequential passes (the first decides each column's kind, the second fills the columns,
    /// a `String` and a dictionary lookup per categorical field). Tested equal.
    public static func readTwoPass(path: String, kinds: [String: Kind] = [:], options: CSVOptions = CSVOptions()) throws -> TabularTable {
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
        var texts = [[String]](repeating: [], count: names.count)
        var keptRows = 0
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
                    case .categorical, .text: stagedText[j] = row.isMissing(at: j) ? nil : try row.string(at: j)
                    }
                }
            } catch let error as CSVRowError {
                rejected.append(error)
                return
            }
            for j in 0..<names.count {
                switch resolved[j] {
                case .numeric: numbers[j].append(staged[j])
                case .text: texts[j].append(stagedText[j] ?? "")
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
            keptRows += 1
        }
        let columns = names.indices.map { j in
            Column(name: names[j], kind: resolved[j], numbers: numbers[j], codes: codes[j], levels: levels[j], texts: texts[j])
        }
        return TabularTable(path: path, columns: columns, rowCount: keptRows, rowsRead: counts.rows, rejected: rejected)
    }
}
