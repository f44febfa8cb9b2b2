@testable import LeptonIO
import LeptonTestSupport
import XCTest

/// A record as the tests compare it: its fields as text and its problem.
struct ReadRecord: Equatable, CustomStringConvertible {
    var number: Int
    var fields: [String]
    var problem: CSVRowProblem?
    var description: String { "#\(number) \(fields) \(problem.map { "\($0)" } ?? "")" }
}

/// Reads every data record of `path`.
func readAll(_ path: String, options: CSVOptions = CSVOptions()) throws -> (columns: [String], rows: [ReadRecord]) {
    let reader = try CSVReader(path: path, options: options)
    var rows: [ReadRecord] = []
    try reader.forEachRow { row in
        rows.append(ReadRecord(number: row.number, fields: row.rawFields, problem: row.problem))
    }
    return (reader.columns, rows)
}

/// The same file read with the fast path on and off must give the same records.
func assertFastPathMatchesLibcsv(_ path: String, options: CSVOptions = CSVOptions(),
                                 file: StaticString = #filePath, line: UInt = #line) throws {
    var slow = options
    slow.fastPathForUnquotedData = false
    var fast = options
    fast.fastPathForUnquotedData = true
    let a = try readAll(path, options: slow)
    let b = try readAll(path, options: fast)
    XCTAssertEqual(a.columns, b.columns, file: file, line: line)
    XCTAssertEqual(a.rows.count, b.rows.count, file: file, line: line)
    for (x, y) in zip(a.rows, b.rows) where x != y {
        XCTFail("libcsv \(x) vs fast \(y)", file: file, line: line)
        break
    }
}

/// A small deterministic generator for test data (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
