import Foundation
@testable import LeptonIO
import LeptonTestSupport
import XCTest

/// A properly quoted field over the field-size limit whose contents look like rows (line
/// breaks, delimiters, doubled quotes): its record is refused and reading resumes at the true
/// next record, on every path — libcsv alone, the fast path, parallel parts, the numeric and
/// tabular tables. (Reading once restarted inside the field and handed its lines on as rows.)
final class CSVLongQuotedFieldTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("longfield") }
    override func tearDown() { dir.remove() }

    static let limit = 1000

    /// `lines` lines of `9,99` inside one quoted field, with a doubled quote and a quote before a
    /// line break among them.
    static func fieldThatLooksLikeRows(lines: Int) -> String {
        var field = "\""
        for i in 0..<lines {
            field += i == 7 ? "say \"\"hi\"\"\n" : i == 9 ? "\"\"\n" : "9,99\n"
        }
        return field + "end\""
    }

    /// Shapes: the long field last, in the middle before another quoted line break, first, and
    /// the last record of a file without a final line end; CRLF and CR line ends.
    static func files() -> [(name: String, text: String, good: [[String]])] {
        let long = fieldThatLooksLikeRows(lines: 600)
        return [
            ("last", "a,b\n1,2\n3,\(long)\n4,5\n", [["1", "2"], ["4", "5"]]),
            ("middle", "a,b,c\n3,\(long),\"x\ny\"\n4,5,6\n7,8,9\n", [["4", "5", "6"], ["7", "8", "9"]]),
            ("first", "a,b\n\(long),1\n2,3\n", [["2", "3"]]),
            ("crlf", "a,b\r\n1,2\r\n3,\(long.replacingOccurrences(of: "\n", with: "\r\n"))\r\n4,5\r\n", [["1", "2"], ["4", "5"]]),
            ("cr", "a,b\r3,\(long.replacingOccurrences(of: "\n", with: "\r"))\r4,5\r", [["4", "5"]]),
            ("at-end", "a,b\n1,2\n3,\(long)", [["1", "2"]]),
        ]
    }

    func options(fast: Bool) -> CSVOptions {
        var options = CSVOptions()
        options.maxFieldBytes = Self.limit
        options.fastPathForUnquotedData = fast
        return options
    }

    func testRecordReaderRefusesTheRecordAndResumesAtTheNextOne() throws {
        for (name, text, good) in Self.files() {
            let path = try dir.write("\(name).csv", text)
            for fast in [false, true] {
                let rows = try readAll(path, options: options(fast: fast)).rows
                let refused = rows.filter { $0.problem != nil }
                XCTAssertEqual(refused.count, 1, "\(name), fast path \(fast): \(rows.count) rows")
                XCTAssertEqual(refused.first?.problem, .fieldTooLong(limit: Self.limit), name)
                XCTAssertEqual(rows.filter { $0.problem == nil }.map(\.fields), good, "\(name), fast path \(fast)")
                XCTAssertEqual(rows.map(\.number), Array(1...(good.count + 1)).map { $0 + 1 }, "\(name): records numbered as in the file")
            }
        }
    }

    func testNumericTableOnEveryPartCountAgrees() throws {
        for (name, text, good) in Self.files() {
            let path = try dir.write("\(name).csv", text)
            for threads in [1, 2, 3] {
                for fast in [false, true] {
                    let table = try NumericTable.read(path: path, threads: threads, options: options(fast: fast))
                    XCTAssertEqual(table.rowsRead, good.count + 1, "\(name), \(threads) parts, fast \(fast)")
                    XCTAssertEqual(table.rejected.count, 1, "\(name), \(threads) parts")
                    XCTAssertEqual(table.values.first?.count, good.count, "\(name), \(threads) parts")
                }
            }
        }
    }

    func testTabularTableOnEveryPartCountAgrees() throws {
        for (name, text, good) in Self.files() {
            let path = try dir.write("\(name).csv", text)
            for threads in [1, 2, 3] {
                let table = try TabularTable.read(path: path, options: options(fast: true), threads: threads)
                XCTAssertEqual(table.rowsRead, good.count + 1, "\(name), \(threads) parts")
                XCTAssertEqual(table.rejected.count, 1, "\(name), \(threads) parts")
                XCTAssertEqual(table.rowCount, good.count, "\(name), \(threads) parts")
            }
        }
    }

    func testRecordSkipperFollowsQuotesToTheRecordEnd() {
        func skip(_ text: String, from state: CSVRecordSkipper.State) -> Int? {
            // Padded: the scanner reads whole words past the end.
            let bytes = Array(text.utf8) + [UInt8](repeating: 0, count: 8)
            var skipper = CSVRecordSkipper(state: state, delimiter: UInt8(ascii: ","))
            return bytes.withUnsafeBufferPointer { skipper.skip($0.baseAddress!, text.utf8.count) }
        }
        XCTAssertEqual(skip("abc\nd\"\",x\ne\" ,\"f\ng\"\nnext", from: .inQuotes), 20)
        XCTAssertEqual(skip("\"\nstill\"\nnext", from: .quoteInQuotes), 9)
        XCTAssertEqual(skip("x\nnext", from: .quoteInQuotes), 2)
        XCTAssertEqual(skip("tail, \"a\nb\"\r\nnext", from: .unquoted(atFieldStart: false)), 12)
        XCTAssertEqual(skip("ta\"il\nnext", from: .unquoted(atFieldStart: false)), 6, "a quote inside an unquoted field is data")
        XCTAssertEqual(skip("anything\"\nnext", from: .toLineEnd), 10)
        XCTAssertNil(skip("never closes\n,\n", from: .inQuotes))
    }

    /// Found by `make fuzz` (csv-fast-vs-libcsv): a plain field over the limit gave its whole
    /// record on the fast path and the fields before it through libcsv. Now a refused record is
    /// the same on both, with the limits measured as libcsv measures them (a plain field's
    /// trailing spaces count; the row limit counts the fields' text, an over-long field's
    /// record ends before it).
    func testRefusedRecordsAreTheSameRecordOnTheFastPathAndThroughLibcsv() throws {
        var options = CSVOptions()
        options.maxFieldBytes = 8
        options.maxRowBytes = 12
        let texts = [
            "x,y\r1,2\r" + String(repeating: "§", count: 4) + "3,\r",       // the fuzzer's shape, 8 bytes of § plus "3"
            "a,b,c\n1,abcdefg   ,2\n3,4,5\n",                             // 7 bytes and 3 trailing spaces: over 8
            "a,b,c\n1,\"abcdefghi\",2\n3,4,5\n",                          // quoted, 9 bytes
            "a,b,c,d\n1234,5678,9012,3\n1,2,3,4\n",                        // the row's text over 12: the third field kept empty
            "a,b,c,d\n1234,5678,9012,\"\"\n1,2,3,4\n",
            "a,b\n1,\"12345678\"\n2,3\n",                                   // quoted, exactly 8 bytes: libcsv holds 9 with the quote
            "a,b\n1,\"1234567\"\n2,3\n",                                    // 7 bytes
            "a,b\n1,12345678\n2,3\n",                                        // plain, exactly 8
        ]
        for (k, text) in texts.enumerated() {
            let path = try dir.write("limits\(k).csv", text)
            try assertFastPathMatchesLibcsv(path, options: options)
        }
        let fuzzInput = try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fuzz/regressions/csv-fast-vs-libcsv-field-limit-trailing.csv").standardized)
        let path = dir.file("fuzz.csv")
        try fuzzInput.write(to: URL(fileURLWithPath: path))
        options.maxFieldBytes = 64
        options.maxRowBytes = 256
        try assertFastPathMatchesLibcsv(path, options: options)
    }
}
