@testable import LeptonIO
import LeptonTestSupport
import XCTest
import LeptonCore

/// Parts cut without tracking quotes must read exactly like one sequential read, whether the
/// cuts fall outside quotes (kept) or inside a quoted field (detected, read again quote-aware).
final class NumericTablePartsTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("numparts") }
    override func tearDown() { dir.remove() }

    private func assertSameForEveryThreadCount(_ path: String, columns: [String]? = nil,
                                               file: StaticString = #filePath, line: UInt = #line) throws {
        let one = try NumericTable.read(path: path, columns: columns, threads: 1)
        for threads in [2, 3, 5] {
            let many = try NumericTable.read(path: path, columns: columns, threads: threads)
            XCTAssertEqual(many.rowsRead, one.rowsRead, "threads \(threads)", file: file, line: line)
            XCTAssertEqual(many.values.map { $0.map(\.bitPattern) }, one.values.map { $0.map(\.bitPattern) },
                           "threads \(threads)", file: file, line: line)
            XCTAssertEqual(many.rejected, one.rejected, "threads \(threads)", file: file, line: line)
        }
    }

    /// One quoted note spans most of the file, line breaks and commas inside: every cut made
    /// without looking at quotes lands inside it.
    func testCutsInsideAQuotedFieldAreDetectedAndReadAgain() throws {
        var text = "x,note,y\n"
        for i in 0..<200 { text += "\(i),plain,\(Double(i) / 4)\n" }
        text += "1,\"start of a long note\n"
        for i in 0..<3_000 { text += "line \(i), still quoted, -\(i).5\n" }
        text += "end\",2\n"
        for i in 0..<200 { text += "\(i),\"q\",\(-i)\r\n" }
        let path = try dir.write("long-quote.csv", text)
        let one = try NumericTable.read(path: path, columns: ["x", "y"], threads: 1)
        XCTAssertEqual(one.rowsRead, 401)
        XCTAssertEqual(one.values[1][200], 2)
        try assertSameForEveryThreadCount(path, columns: ["x", "y"])
    }

    /// Many short multi-line quoted fields and balanced quotes: cuts land both outside quotes
    /// (kept) and inside (read again); either way the same table.
    func testRandomQuotedNotesReadTheSameOnEveryThreadCount() throws {
        for seed: UInt64 in 1...6 {
            var rng = SeededGenerator(seed: seed)
            var text = "a,b,note\n"
            for i in 0..<4_000 {
                let note: String
                switch Int.random(in: 0..<8, using: &rng) {
                case 0: note = "\"multi\nline \(i)\""
                case 1: note = "\"comma, \"\"quoted\"\"\""
                case 2: note = "\"cr\r\nlf\""
                default: note = "n\(i)"
                }
                let a = Int.random(in: 0..<30, using: &rng) == 0 ? "NA" : "\(Double(Int.random(in: -9999...9999, using: &rng)) / 100)"
                text += "\(a),\(i % 97 == 0 ? "oops" : String(i)),\(note)\n"
            }
            let path = try dir.write("notes\(seed).csv", text)
            try assertSameForEveryThreadCount(path, columns: ["a", "b"])
        }
    }

    /// Without quotes the quote-blind cuts are the quote-aware ones.
    func testQuoteBlindCutsEqualQuoteAwareCutsWithoutQuotes() throws {
        var text = "p,q\n"
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<20_000 { text += "\(Int.random(in: 0...999_999, using: &rng)),\(Int.random(in: 0...9, using: &rng))\(Bool.random(using: &rng) ? "\r\n" : "\n")" }
        let path = try dir.write("plain.csv", text)
        let reader = try CSVReader(path: path)
        for count in [1, 2, 7, 16] {
            XCTAssertEqual(reader.partsIgnoringQuotes(count), reader.parts(count), "\(count) parts")
        }
        try assertSameForEveryThreadCount(path)
    }
}
