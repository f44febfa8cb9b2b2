import Foundation
@testable import LeptonIO
import LeptonTestSupport
import XCTest
import LeptonCore

/// ``CSVLine`` (the batch jobs' fast path) writes exactly the bytes ``CSVWriter`` writes.
final class CSVLineTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("csvline") }
    override func tearDown() { dir.remove() }

    /// Random rows of awkward fields, written once through `writeRow` and once as lines built
    /// from raw text, pre-encoded text (``CSVFieldTable``) and integers: the files are equal.
    func testLinesEqualWriterRowsOnRandomFields() throws {
        var rng = SeededGenerator(seed: 7)
        let pieces = ["a", "b c", ",", "\"", "\n", "\r", " ", "\t", "é", "x;y", "0", "-12", ""]
        for delimiter in [UInt8(ascii: ","), UInt8(ascii: ";")] {
            let byWriter = dir.file("writer-\(delimiter).csv"), byLine = dir.file("line-\(delimiter).csv")
            let writer = try CSVWriter(path: byWriter, delimiter: delimiter)
            let lineWriter = try CSVWriter(path: byLine, delimiter: delimiter)
            var line = CSVLine(delimiter: delimiter, capacity: 16)  // small: growth is exercised
            defer { line.deallocate() }
            for _ in 0..<2000 {
                let count = 1 + Int(rng.next() % 6)
                var fields: [String] = []
                line.clear()
                for _ in 0..<count {
                    switch rng.next() % 4 {
                    case 0:
                        let value = Int(truncatingIfNeeded: rng.next()) >> Int(rng.next() % 64)
                        fields.append(String(value))
                        line.appendField(value)
                    case 1:
                        let text = (0..<Int(rng.next() % 5)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
                        fields.append(text)
                        let table = CSVFieldTable([text], delimiter: delimiter)
                        line.appendEncodedField(table[0])
                    default:
                        let text = (0..<Int(rng.next() % 40)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
                        fields.append(text)
                        line.appendField(text)
                    }
                }
                XCTAssertEqual(line.fieldCount, count)
                try writer.writeRow(fields)
                try lineWriter.write(line: line)
            }
            try writer.commit()
            try lineWriter.commit()
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: byLine)), try Data(contentsOf: URL(fileURLWithPath: byWriter)),
                           "delimiter \(delimiter)")
        }
    }

    func testIntegersAtTheExtremes() {
        var line = CSVLine()
        defer { line.deallocate() }
        for value in [0, 9, 10, -1, -10, Int.max, Int.min, 1_000_000] { line.appendField(value) }
        XCTAssertEqual(String(decoding: line.bytes, as: UTF8.self),
                       "0,9,10,-1,-10,\(Int.max),\(Int.min),1000000")
    }

    func testEncodedTableKeepsEveryField() {
        let texts = ["", "plain", "a,b", "say \"hi\"", " lead"]
        let table = CSVFieldTable(texts)
        XCTAssertEqual(table.count, 5)
        XCTAssertEqual((0..<5).map { String(decoding: table[$0], as: UTF8.self) },
                       ["", "plain", "\"a,b\"", "\"say \"\"hi\"\"\"", "\" lead\""])
    }

    /// Appending another file's bytes (from an offset) goes through the kernel and keeps
    /// what was buffered before it in order.
    func testAtomicFileAppendsAnotherFileFromAnOffset() throws {
        var big = [UInt8](repeating: 0, count: 3 << 20)
        for i in big.indices { big[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 12) }
        let source = dir.file("source.bin")
        try Data(big).write(to: URL(fileURLWithPath: source))
        let target = dir.file("joined.bin")
        let file = try AtomicFile(path: target)
        try file.write("head:")
        try file.append(contentsOf: source, from: 1000)
        try file.write(":tail")
        XCTAssertFalse(FileManager.default.fileExists(atPath: target))
        try file.commit()
        let joined = try Data(contentsOf: URL(fileURLWithPath: target))
        XCTAssertEqual(joined, Data("head:".utf8) + Data(big[1000...]) + Data(":tail".utf8))
        let missing = try AtomicFile(path: dir.file("never.bin"))
        XCTAssertThrowsError(try missing.append(contentsOf: dir.file("absent.bin"))) { error in
            XCTAssertTrue("\(error)".contains("absent.bin"), "\(error)")
        }
        missing.abandon()
    }
}
