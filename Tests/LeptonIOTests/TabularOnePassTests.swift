@testable import LeptonIO
import LeptonTestSupport
import XCTest
import LeptonCore

/// The one-pass parallel ``TabularTable/read(path:kinds:options:threads:)`` must give exactly
/// what its naive twin ``TabularTable/readTwoPass(path:kinds:options:)`` gives: kinds, values,
/// levels in the same order, codes, rejects with their rows, columns and reasons — whatever the
/// number of threads; and its byte-level helpers must equal their naive twins.
final class TabularOnePassTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("tabular1p") }
    override func tearDown() { dir.remove() }

    private func assertSameTable(_ a: TabularTable, _ b: TabularTable, _ what: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.rowCount, b.rowCount, "rows: \(what)", file: file, line: line)
        XCTAssertEqual(a.rowsRead, b.rowsRead, "rows read: \(what)", file: file, line: line)
        XCTAssertEqual(a.rejected, b.rejected, "rejects: \(what)", file: file, line: line)
        XCTAssertEqual(a.columns.count, b.columns.count, file: file, line: line)
        for (x, y) in zip(a.columns, b.columns) {
            XCTAssertEqual(x.name, y.name, file: file, line: line)
            XCTAssertEqual(x.kind, y.kind, "kind of \(x.name): \(what)", file: file, line: line)
            XCTAssertEqual(x.numbers.map(\.bitPattern), y.numbers.map(\.bitPattern), "numbers of \(x.name): \(what)", file: file, line: line)
            XCTAssertEqual(x.codes, y.codes, "codes of \(x.name): \(what)", file: file, line: line)
            XCTAssertEqual(x.levels, y.levels, "levels of \(x.name): \(what)", file: file, line: line)
            XCTAssertEqual(x.texts, y.texts, "texts of \(x.name): \(what)", file: file, line: line)
        }
    }

    private func assertReadsEqual(_ path: String, kinds: [String: TabularTable.Kind] = [:], options: CSVOptions = CSVOptions(),
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try TabularTable.readTwoPass(path: path, kinds: kinds, options: options)
        for threads in [1, 2, 3] {
            let table = try TabularTable.read(path: path, kinds: kinds, options: options, threads: threads)
            assertSameTable(table, reference, "\(path), \(threads) threads", file: file, line: line)
        }
    }

    /// Random files with quoted commas, doubled quotes, quoted line breaks, missing tokens,
    /// ragged and malformed rows, CRLF and blank lines, numbers and text in every column.
    func testEqualsTheTwoPassReadOnRandomFiles() throws {
        let values = ["12", "-3.5", "1e3", "", "NA", "?", "null", " 7 ", "\"4\"", "\"car, new\"", "radio", "\"say \"\"hi\"\"\"",
                      "\"two\nlines\"", "x\"y", "\"open", "0", "007", "+5", "nan", "\"\"", "é", "e\u{301}"]
        for seed: UInt64 in 1...30 {
            var rng = SeededGenerator(seed: seed)
            let width = Int.random(in: 1...5, using: &rng)
            // Columns lean numeric or text so that both kinds occur.
            let numericLean = (0..<width).map { _ in Bool.random(using: &rng) }
            var text = (0..<width).map { "c\($0)" }.joined(separator: ",") + "\n"
            for _ in 0..<Int.random(in: 1...300, using: &rng) {
                var fields = width
                if Int.random(in: 0..<25, using: &rng) == 0 { fields += Bool.random(using: &rng) ? 1 : -1 }
                text += (0..<max(fields, 1)).map { j -> String in
                    if j < width, numericLean[j], Int.random(in: 0..<8, using: &rng) != 0 {
                        return String(Int.random(in: -99...99, using: &rng))
                    }
                    return values[Int.random(in: 0..<values.count, using: &rng)]
                }.joined(separator: ",")
                text += Int.random(in: 0..<6, using: &rng) == 0 ? "\r\n" : (Int.random(in: 0..<30, using: &rng) == 0 ? "\n\n" : "\n")
            }
            let path = try dir.write("r\(seed).csv", text)
            try assertReadsEqual(path)
            try assertReadsEqual(path, kinds: ["c0": .numeric])
            try assertReadsEqual(path, kinds: ["c0": .text])
            var slow = CSVOptions()
            slow.fastPathForUnquotedData = false
            try assertReadsEqual(path, options: slow)
        }
    }

    /// Several megabytes (parts and 1 MB chunks cross records) of mostly plain lines that the
    /// line kernel takes, with every few lines one it must leave to the general path.
    func testEqualsTheTwoPassReadAcrossChunksAndParts() throws {
        var rng = SeededGenerator(seed: 42)
        let odd = ["\"a \"\"q\"\" b\"", " padded ", "\"multi\nline\"", "x\"y", "NA", "", "1e400", "-", "\"7\"", "\"\"", "\"open"]
        var text = "id,amount,purpose,flag,note\r\n"
        for i in 0..<120_000 {
            var fields = ["\(i)", "\(Int.random(in: -500...5000, using: &rng))", ["\"car, new\"", "radio", "\"tv, video\"", "?"][i % 4],
                          "\(i % 3)", "\"note \(i % 11), \(i % 5)\""]
            if Int.random(in: 0..<50, using: &rng) == 0 { fields[Int.random(in: 0..<5, using: &rng)] = odd[Int.random(in: 0..<odd.count, using: &rng)] }
            if Int.random(in: 0..<400, using: &rng) == 0 { fields.removeLast() }
            text += fields.joined(separator: ",") + (i % 7 == 0 ? "\r\n" : "\n")
            if i % 10_000 == 0 { text += "\n" }
        }
        let path = try dir.write("big.csv", text)
        try assertReadsEqual(path, kinds: ["id": .text])
        try assertReadsEqual(path, kinds: ["amount": .numeric])
    }

    /// A column whose first 64 KB are numbers and which holds text further down: the guess is
    /// wrong, and the file is read again with the kinds the first pass established.
    func testColumnGuessedNumericThatHoldsTextLater() throws {
        var text = "id,amount,flag\n"
        for i in 0..<20_000 { text += "\(i),\(i % 97),\(i % 3)\n" }
        text += "20000,lots,1\n20001,\"a, quoted\",NA\n"
        for i in 20_002..<20_100 { text += "\(i),\(i % 5),\(i % 2)\n" }
        let path = try dir.write("late.csv", text)
        try assertReadsEqual(path)
        let table = try TabularTable.read(path: path, threads: 2)
        XCTAssertEqual(try table.column("amount").kind, .categorical)
        XCTAssertEqual(try table.column("flag").kind, .numeric)
        // Declared numeric: the text rows are rejected instead, naming row and column.
        let declared = try TabularTable.read(path: path, kinds: ["amount": .numeric], threads: 2)
        XCTAssertEqual(declared.rejected.map(\.row), [20_002, 20_003])
        XCTAssertEqual(declared.rejected.first?.column, "amount")
        try assertReadsEqual(path, kinds: ["amount": .numeric])
    }

    func testInvalidUTF8AndCanonicallyEquivalentLevels() throws {
        var bytes = Array("k,v\n1,caf".utf8) + [0xC3, 0xA9] + Array("\n2,cafe".utf8) + [0xCC, 0x81] + Array("\n3,bad".utf8)
        bytes += [0xFF, 0xFE] + Array("\n4,caf".utf8) + [0xC3, 0xA9] + Array("\n".utf8)
        let path = try dir.write("utf8.csv", bytes: bytes)
        try assertReadsEqual(path)
        try assertReadsEqual(path, kinds: ["v": .text])
        let table = try TabularTable.read(path: path, threads: 2)
        // "café" precomposed and decomposed are one level as Strings, as the String-keyed read has it.
        XCTAssertEqual(try table.column("v").levels, ["caf\u{E9}"])
        XCTAssertEqual(try table.column("v").codes, [0, 0, 0])
        XCTAssertEqual(table.rejected.map(\.row), [4])
        XCTAssertTrue(table.rejected[0].reason.contains("UTF-8"))
    }

    func testTextColumnsKeepEveryValue() throws {
        let path = try dir.write("ids.csv", "id,x\nA1,1\n,2\nA1,3\n\"B, 2\",4\n")
        let table = try TabularTable.read(path: path, kinds: ["id": .text], threads: 2)
        let ids = try table.column("id")
        XCTAssertEqual(ids.kind, .text)
        XCTAssertEqual(ids.texts, ["A1", "", "A1", "B, 2"])
        XCTAssertEqual(ids.missingCount, 1)
        XCTAssertEqual(ids.text(at: 3), "B, 2")
        try assertReadsEqual(path, kinds: ["id": .text])
    }

    func testByteScanEqualsItsNaiveTwins() {
        var rng = SeededGenerator(seed: 7)
        let alphabet: [UInt8] = Array("ab,\"\r\n x".utf8)
        for _ in 0..<2_000 {
            let count = Int.random(in: 0..<40, using: &rng)
            // A sentinel LF at `count` and 8 readable bytes after it, as the range reader keeps.
            var data = (0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] } + [0x0A]
            data += [UInt8](repeating: 0x2C, count: 8)
            data.withUnsafeBufferPointer { buffer in
                let p = buffer.baseAddress!
                for from in 0...count {
                    let fast = ByteScan.lineEnd(in: p, from: from, quote: 0x22)
                    let naive = ByteScan.lineEndNaive(in: p, from: from, quote: 0x22)
                    XCTAssertEqual(fast.end, naive.end)
                    XCTAssertEqual(fast.sawQuote, naive.sawQuote)
                    for end in from...count {
                        XCTAssertEqual(ByteScan.firstOf(0x2C, 0x22, in: p, from: from, end: end),
                                       ByteScan.firstOfNaive(0x2C, 0x22, in: p, from: from, end: end))
                        XCTAssertEqual(ByteScan.firstOf(0x2C, 0x22, 0x0A, 0x0D, in: p, from: from, end: end),
                                       ByteScan.firstOfNaive(0x2C, 0x22, 0x0A, 0x0D, in: p, from: from, end: end))
                    }
                }
            }
        }
    }

    func testByteInternerGivesCodesInOrderOfFirstInsertion() {
        var interner = ByteInterner(expected: 4)
        defer { interner.deallocate() }
        var reference: [String: Int32] = [:]
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<20_000 {
            let text = String(repeating: "v", count: Int.random(in: 0..<20, using: &rng)) + String(Int.random(in: 0..<3_000, using: &rng))
            let code = Array(text.utf8).withUnsafeBufferPointer { interner.intern($0) }
            if let known = reference[text] {
                XCTAssertEqual(code, known)
            } else {
                XCTAssertEqual(Int(code), reference.count)
                reference[text] = code
            }
        }
        XCTAssertEqual(interner.count, reference.count)
        for (text, code) in reference {
            XCTAssertEqual(interner.withBytes(of: Int(code)) { String(decoding: $0, as: UTF8.self) }, text)
        }
    }
}
