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

