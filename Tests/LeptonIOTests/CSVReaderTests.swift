@testable import LeptonIO
import LeptonTestSupport
import XCTest

final class CSVReaderTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("csv") }
    override func tearDown() { dir.remove() }

    func testQuotingCRLFAndByteOrderMark() throws {
        let text = "\u{FEFF}id,name,amount\r\n1,\"Smith, J\",12.5\r\n2,\"say \"\"hi\"\"\",-3\r\n3,\"two\nlines\",5.00E+05\r\n"
        let path = try dir.write("a.csv", text)
        let (columns, rows) = try readAll(path)
        XCTAssertEqual(columns, ["id", "name", "amount"])
        XCTAssertEqual(rows, [
            ReadRecord(number: 2, fields: ["1", "Smith, J", "12.5"]),
            ReadRecord(number: 3, fields: ["2", "say \"hi\"", "-3"]),
            ReadRecord(number: 4, fields: ["3", "two\nlines", "5.00E+05"]),
        ])
        try assertFastPathMatchesLibcsv(path)
    }

    func testLastRecordWithoutNewlineAndLoneCR() throws {
        let path = try dir.write("b.csv", "a,b\r1,2\r3,4")
        let (_, rows) = try readAll(path)
        XCTAssertEqual(rows.map(\.fields), [["1", "2"], ["3", "4"]])
    }

    func testRaggedRowsAreReportedAndReadingContinues() throws {
        let path = try dir.write("c.csv", "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n")
        let (_, rows) = try readAll(path)
        XCTAssertEqual(rows.count, 4)
        XCTAssertNil(rows[0].problem)
        XCTAssertEqual(rows[1].problem, .wrongFieldCount(expected: 3, found: 2))
        XCTAssertEqual(rows[1].number, 3)
        XCTAssertEqual(rows[2].problem, .wrongFieldCount(expected: 3, found: 4))
        XCTAssertEqual(rows[3].fields, ["10", "11", "12"])
        XCTAssertNil(rows[3].problem)
    }

    func testMalformedQuotingIsReportedAndReadingContinues() throws {
        let path = try dir.write("d.csv", "a,b,c\n1,\"bad\"x,3\n4,5,6\n7,ba\"d,9\n10,11,12\n")
        let (_, rows) = try readAll(path)
        XCTAssertEqual(rows.map(\.problem), [.malformedQuoting, nil, .malformedQuoting, nil])
        XCTAssertEqual(rows[1].fields, ["4", "5", "6"])
        XCTAssertEqual(rows[3].fields, ["10", "11", "12"])
        XCTAssertEqual(rows.map(\.number), [2, 3, 4, 5])
    }

    func testUnterminatedQuoteAtEndOfFile() throws {
        let path = try dir.write("e.csv", "a,b\n1,2\n3,\"never closed\n")
        let (_, rows) = try readAll(path)
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(rows[1].problem, .unterminatedQuote)
    }

    func testEmptyFileAndHeaderOnly() throws {
        let empty = try dir.write("empty.csv", "")
        XCTAssertThrowsError(try CSVReader(path: empty)) { error in
            XCTAssertEqual(error as? CSVFileError, .empty(path: empty))
        }
        let blank = try dir.write("blank.csv", "\r\n\n")
        XCTAssertThrowsError(try CSVReader(path: blank))
        let headerOnly = try dir.write("h.csv", "a,b,c\r\n")
        let (columns, rows) = try readAll(headerOnly)
        XCTAssertEqual(columns, ["a", "b", "c"])
        XCTAssertTrue(rows.isEmpty)
    }

    func testMissingFileAndDuplicateColumn() throws {
        XCTAssertThrowsError(try CSVReader(path: dir.file("nope.csv"))) { error in
            XCTAssertTrue("\(error)".contains("nope.csv"))
            XCTAssertTrue("\(error)".contains("Hint"))
        }
        let path = try dir.write("dup.csv", "a,b,a\n1,2,3\n")
        XCTAssertThrowsError(try CSVReader(path: path)) { error in
            XCTAssertEqual(error as? CSVFileError, .duplicateColumn(path: path, name: "a"))
        }
    }

    func testFieldOverTheLimitIsRejectedAndReadingContinues() throws {
        let big = String(repeating: "x", count: (1 << 20) + 10)
        for quoted in [false, true] {
            let field = quoted ? "\"\(big)\"" : big
            let path = try dir.write("big\(quoted).csv", "a,b\n1,\(field)\n2,3\n")
            let (_, rows) = try readAll(path)
            XCTAssertEqual(rows.count, 2, "quoted: \(quoted)")
            XCTAssertEqual(rows[0].problem, .fieldTooLong(limit: 1 << 20))
            XCTAssertEqual(rows[1].fields, ["2", "3"])
            XCTAssertNil(rows[1].problem)
        }
    }

    /// Invalid UTF-8 in a column name is refused like invalid UTF-8 in a field read as text:
    /// naming row 1 and the column's position (never silently turned into U+FFFD).
    func testInvalidUTF8InTheHeaderIsRefusedWithItsColumn() throws {
        let path = dir.file("latin1.csv")
        try Data([UInt8]("id,caf".utf8) + [0xE9] + [UInt8](",x\n1,2,3\n".utf8)).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try CSVReader(path: path)) { error in
            XCTAssertEqual(error as? CSVFileError, .headerNotUTF8(path: path, column: 2))
            XCTAssertTrue("\(error)".contains("row 1 (header), column 2"), "\(error)")
        }
        // Without a header the first row is data, refused only when read as text.
        XCTAssertNoThrow(try CSVReader(path: path, options: CSVOptions(hasHeader: false)))
    }

    /// A file whose first row never ends (a sparse file of NUL bytes, a binary file) is refused
    /// after the row limit, not after reading all of it; a malformed header says what is wrong.
    func testFirstRowWithoutAnEndIsRefusedWithinTheRowLimit() throws {
        let path = dir.file("sparse.csv")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 1 << 30)  // 1 GiB of holes: nothing on disk
        try handle.close()
        var options = CSVOptions()
        options.maxRowBytes = 1 << 16
        XCTAssertThrowsError(try CSVReader(path: path, options: options)) { error in
            XCTAssertEqual(error as? CSVFileError, .badHeader(path: path, reason: "no end of the first row in its first 65536 bytes"))
            XCTAssertTrue("\(error)".contains("Hint: the first row must hold the column names"), "\(error)")
        }
        let quoted = try dir.write("quoted-header.csv", "a,\"b\"c\n1,2\n")
        XCTAssertThrowsError(try CSVReader(path: quoted)) { error in
            XCTAssertTrue("\(error)".contains("row 1 (header)") && !"\(error)".contains("disk"), "\(error)")
        }
    }

    func testTooManyColumnsIsRefusedWithTheCount() throws {
        var options = CSVOptions()
        options.maxColumns = 1000
        let path = try dir.write("wide.csv", (0..<1001).map { "c\($0)" }.joined(separator: ",") + "\n")
        XCTAssertThrowsError(try CSVReader(path: path, options: options)) { error in
            XCTAssertEqual(error as? CSVFileError, .tooManyColumns(path: path, count: 1001, limit: 1000))
        }
        options.maxColumns = 1001
        XCTAssertNoThrow(try CSVReader(path: path, options: options))
    }

    func testOtherDelimitersAndNoHeader() throws {
        let path = try dir.write("semi.tsv", "1\t 2 \tx y\n3\t\t\n")
        var options = CSVOptions(delimiter: UInt8(ascii: "\t"), hasHeader: false)
        options.maxFieldBytes = 100
        let (columns, rows) = try readAll(path, options: options)
        XCTAssertEqual(columns, ["column1", "column2", "column3"])
        XCTAssertEqual(rows.map(\.fields), [["1", "2", "x y"], ["3", "", ""]])
        XCTAssertEqual(rows.first?.number, 1)
        try assertFastPathMatchesLibcsv(path, options: options)
        let pipe = try dir.write("p.csv", "a|b\n\"x|y\"|2\n")
        XCTAssertEqual(try readAll(pipe, options: CSVOptions(delimiter: UInt8(ascii: "|"))).rows.map(\.fields), [["x|y", "2"]])
    }

    func testTypedAccessNamesFileRowAndColumn() throws {
        let path = try dir.write("t.csv", "id,amount,note\n1, -12.5e2 ,ok\n2,NA,\n3,12abc,x\n4,?,\"\u{00E9}\"\n")
        let reader = try CSVReader(path: path)
        var values: [Double?] = []
        var errors: [CSVRowError] = []
        try reader.forEachRow { row in
            do { values.append(try row.double(at: 1)) } catch let error as CSVRowError { errors.append(error) }
        }
        XCTAssertEqual(values, [-1250, nil, nil])
        XCTAssertEqual(errors.count, 1)
        XCTAssertEqual(errors.first?.row, 4)
        XCTAssertEqual(errors.first?.column, "amount")
        XCTAssertTrue(errors.first!.description.contains("t.csv: row 4, column 'amount': '12abc' is not a number"))
    }

    func testMissingTokensAreCaseInsensitiveAndConfigurable() throws {
        let path = try dir.write("m.csv", "x\nNA\nnan\nNULL\n?\n \n-999\n1\n")
        var values: [Float?] = []
        try CSVReader(path: path).forEachRow { values.append(try $0.float(at: 0)) }
        // A line of spaces is blank (no record), as in libcsv.
        XCTAssertEqual(values, [nil, nil, nil, nil, -999, 1])
        var options = CSVOptions()
        options.missingTokens = ["-999"]
        values = []
        try CSVReader(path: path, options: options).forEachRow { row in
            values.append(try? row.float(at: 0))
        }
        XCTAssertEqual(values.last, 1)
        XCTAssertEqual(values[4], nil, "-999 is now the missing token")
        XCTAssertTrue(values[1]!.isNaN, "'nan' is a number once it is no longer a missing token")
    }

    func testInvalidUTF8InATextFieldIsReported() throws {
        let path = try dir.write("u.csv", bytes: Array("name\nok\n".utf8) + [0xC3, 0x28, 0x0A])
        var texts: [String] = []
        var failures: [CSVRowError] = []
        try CSVReader(path: path).forEachRow { row in
            do { texts.append(try row.string(at: 0)) } catch let error as CSVRowError { failures.append(error) }
        }
        XCTAssertEqual(texts, ["ok"])
        XCTAssertEqual(failures.first?.row, 3)
        XCTAssertEqual(failures.first?.column, "name")
    }
}
