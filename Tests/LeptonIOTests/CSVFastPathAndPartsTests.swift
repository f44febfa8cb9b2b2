@testable import LeptonIO
import LeptonTestSupport
import XCTest
import LeptonCore

/// The fast tokenizer must give exactly libcsv's records; parallel parts must give exactly the
/// sequential records; memory must stay flat.
final class CSVFastPathAndPartsTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("csvfast") }
    override func tearDown() { dir.remove() }

    /// Random text from an alphabet heavy in the characters that matter: delimiters, spaces,
    /// tabs, CR, LF, blank lines, empty fields; quotes only when `quotes` is set.
    private func randomCSV(bytes: Int, quotes: Bool, seed: UInt64) -> String {
        var rng = SeededGenerator(seed: seed)
        let alphabet: [Character] = ["a", "b", "1", "2", ".", "-", " ", " ", "\t", ",", ",", ",", "\n", "\r", "\r\n"]
        var text = "h1,h2,h3\n"
        text.reserveCapacity(bytes + 100)
        while text.utf8.count < bytes {
            if quotes, Int.random(in: 0..<40, using: &rng) == 0 {
                text += Bool.random(using: &rng) ? "\"q,\n\"\"x\"\"\"" : "\"unclosed"
            } else {
                text.append(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)])
            }
        }
        return text
    }

    func testFastPathEqualsLibcsvOnRandomUnquotedText() throws {
        for seed: UInt64 in 1...40 {
            let path = try dir.write("r\(seed).csv", randomCSV(bytes: 2_000 + Int(seed) * 50, quotes: false, seed: seed))
            try assertFastPathMatchesLibcsv(path)
            try assertFastPathMatchesLibcsv(path, options: CSVOptions(delimiter: UInt8(ascii: "\t")))
        }
    }

    func testFastPathEqualsLibcsvAcrossChunksWithSomeQuotedStretches() throws {
        // Larger than two read chunks, so records and quotes straddle chunk boundaries.
        var text = "a,b,c\n"
        var rng = SeededGenerator(seed: 99)
        var k = 0
        while text.utf8.count < 2 * CSVRangeReader.chunkSize + 300_000 {
            k += 1
            if k % 5000 == 0 {
                text += "\(k),\"multi\nline, \"\"quoted\"\"\",\(k)\r\n"
            } else {
                text += "\(k), \(Double(Int.random(in: -9999...9999, using: &rng)) / 100) ,x\(k % 7)\n"
            }
        }
        let path = try dir.write("mixed.csv", text)
        try assertFastPathMatchesLibcsv(path)
        let (_, rows) = try readAll(path)
        XCTAssertEqual(rows.count, k)
        XCTAssertTrue(rows.allSatisfy { $0.problem == nil })
        XCTAssertEqual(rows[4999].fields[1], "multi\nline, \"quoted\"")
    }

    func testRandomTextWithQuotesReadsTheSameSequentiallyWithAndWithoutFastPath() throws {
        for seed: UInt64 in 100...110 {
            let path = try dir.write("q\(seed).csv", randomCSV(bytes: 30_000, quotes: true, seed: seed))
            try assertFastPathMatchesLibcsv(path)
        }
    }

    /// Records made of plain and quoted fields of every shape libcsv distinguishes: quoted edge
    /// to edge (taken by the fast path), with doubled quotes, spaces around the quotes, quoted
    /// line breaks, empty quotes, stray quotes (left to libcsv) — the records must be the same.
    func testQuotedFieldsOfEveryShapeReadTheSameWithAndWithoutFastPath() throws {
        let shapes = ["plain", " padded ", "", "\"a,b\"", "\" spaced \"", "\"\"", "\"q\"\"q\"", "  \"lead\"",
                      "\"trail\"  ", "\"multi\nline\"", "\"cr\r\nlf\"", "x\"y", "\"open", "12.5", "\"tab\tin\""]
        for seed: UInt64 in 200...230 {
            var rng = SeededGenerator(seed: seed)
            var text = "a,b,c\n"
            for _ in 0..<400 {
                let fields = Int.random(in: 2...4, using: &rng)
                text += (0..<fields).map { _ in
                    Int.random(in: 0..<3, using: &rng) == 0 ? shapes[Int.random(in: 0..<shapes.count, using: &rng)]
                        : (Bool.random(using: &rng) ? "\"v,\(Int.random(in: 0...99, using: &rng))\"" : "v\(Int.random(in: 0...99, using: &rng))")
                }.joined(separator: ",")
                text += Int.random(in: 0..<5, using: &rng) == 0 ? "\r\n" : "\n"
            }
            let path = try dir.write("shapes\(seed).csv", text)
            try assertFastPathMatchesLibcsv(path)
        }
    }

    func testPartsCoverTheDataExactlyOnceQuoteAware() throws {
        var text = "id,text\r\n"
        for i in 0..<20_000 {
            text += i % 97 == 0 ? "\(i),\"line one\nline two, still \"\"one\"\" field\"\r\n" : "\(i),plain \(i)\r\n"
        }
        let path = try dir.write("parts.csv", text)
        let reader = try CSVReader(path: path)
        var sequential: [[String]] = []
        try reader.forEachRow { sequential.append($0.rawFields) }
        XCTAssertEqual(sequential.count, 20_000)
        for count in [1, 2, 3, 7] {
            let ranges = reader.parts(count)
            XCTAssertEqual(ranges.first?.lowerBound, reader.dataStart)
            XCTAssertEqual(ranges.last?.upperBound, reader.fileSize)
            var joined: [[String]] = []
            for range in ranges { try reader.forEachRow(in: range) { joined.append($0.rawFields) } }
            XCTAssertEqual(joined, sequential, "parts: \(count)")
            let perPart = try reader.forEachRowInParallel(parts: count) { _, forEachRow in
                var rows: [[String]] = []
                _ = try forEachRow { rows.append($0.rawFields) }
                return rows
            }
            XCTAssertEqual(perPart.flatMap { $0 }, sequential, "parallel parts: \(count)")
        }
    }

    /// A million rows read with the resident-set high-water mark reset first: the peak must not
    /// grow with the file (the file is ~20 MB; the reader holds one or two 1 MB chunks).
    func testMillionRowsInConstantMemory() throws {
        try XCTSkipIf(Sanitizers.active, "resident memory under a sanitizer is its shadow memory and quarantine")
        let path = dir.file("million.csv")
        let writer = try CSVWriter(path: path)
        try writer.writeRow(["a", "b", "c"])
        for i in 0..<1_000_000 { try writer.writeRow([String(i), String(i &* 7 % 1000), "x"]) }
        try writer.commit()
        guard resetPeakResidentSet() else { throw XCTSkip("cannot reset the peak RSS on this kernel") }
        let before = residentKilobytes("VmRSS")
        var sum = 0.0
        let counts = try CSVReader(path: path).forEachRow { row in sum += try row.double(at: 1) ?? 0 }
        let peak = residentKilobytes("VmHWM")
        XCTAssertEqual(counts.rows, 1_000_000)
        XCTAssertEqual(sum, Double((0..<1_000_000).reduce(0) { $0 + $1 * 7 % 1000 }))
        XCTAssertLessThan(peak - before, 12_000, "peak RSS grew by \(peak - before) kB reading a 1e6-row file")
    }

    private func resetPeakResidentSet() -> Bool {
        guard let handle = fopen("/proc/self/clear_refs", "w") else { return false }
        defer { fclose(handle) }
        return fputs("5", handle) >= 0
    }

    private func residentKilobytes(_ key: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}

final class NumericTableTests: XCTestCase {
    func testParallelReadEqualsSequentialAndNumbersRejectedRowsInFileTerms() throws {
        let dir = try TemporaryDirectory("numeric")
        defer { dir.remove() }
        var text = "x,y,label\n"
        for i in 0..<30_000 {
            if i == 25_000 { text += "oops,1,a\n" } else if i == 100 { text += "1,2\n" } else {
                text += "\(Double(i) / 8),\(i % 3 == 0 ? "NA" : String(-i)),l\(i)\n"
            }
        }
        let path = try dir.write("n.csv", text)
        let one = try NumericTable.read(path: path, columns: ["y", "x"], threads: 1)
        let three = try NumericTable.read(path: path, columns: ["y", "x"], threads: 3)
        XCTAssertEqual(one.rowsRead, 30_000)
        XCTAssertEqual(one.rowCount, 29_998)
        XCTAssertEqual(one.values[1][0...2], [0, 0.125, 0.25])
        XCTAssertTrue(one.values[0][0].isNaN)
        XCTAssertEqual(one.values[0][1], -1)
        for k in 0..<2 {
            XCTAssertEqual(one.values[k].map(\.bitPattern), three.values[k].map(\.bitPattern))
        }
        XCTAssertEqual(one.rejected, three.rejected)
        XCTAssertEqual(one.rejected.map(\.row), [102, 25_002])
        XCTAssertEqual(one.rejected.last?.column, "x")
        XCTAssertThrowsError(try NumericTable.read(path: path, columns: ["z"])) { error in
            XCTAssertTrue("\(error)".contains("no column 'z'"))
        }
    }
}

final class PlainNumberKernelTests: XCTestCase {
    /// The one-pass numeric kernel and libcsv (fast path off) give the same table bit for bit,
    /// on numbers of every shape mixed with what the kernel must decline.
    func testKernelEqualsLibcsvOnAwkwardNumbers() throws {
        let dir = try TemporaryDirectory("kernel")
        defer { dir.remove() }
        var rng = SeededGenerator(seed: 5)
        let awkward = ["", " 1.5", "2 ", "+3", "NA", "nan", "-0", "0.000000000000000000001", "12345678901234567890",
                       "1e39", "1e-46", "16777217", "9007199254740993", "3.4028235e38", ".5", "5.", "-.5e1", "1e", "x",
                       "0.1", "340282356779733661637539395458142568448", "1E+05", "-1e-5"]
        var text = "a,b,c\n"
        for i in 0..<20_000 {
            var fields: [String] = []
            for _ in 0..<3 {
                if Int.random(in: 0..<10, using: &rng) == 0 {
                    fields.append(awkward[Int.random(in: 0..<awkward.count, using: &rng)])
                } else {
                    let mantissa = Int.random(in: -99_999_999...99_999_999, using: &rng)
                    fields.append("\(Double(mantissa) / pow(10, Double(Int.random(in: 0...12, using: &rng))))")
                }
            }
            if i % 1000 == 7 { fields.removeLast() }
            text += fields.joined(separator: ",") + (i % 3 == 0 ? "\r\n" : "\n")
            if i % 4000 == 0 { text += "\n   \n" }
        }
        let path = try dir.write("k.csv", text)
        var slow = CSVOptions()
        slow.fastPathForUnquotedData = false
        let reference = try NumericTable.read(path: path, options: slow)
        for threads in [1, 2] {
            let fast = try NumericTable.read(path: path, threads: threads)
            XCTAssertEqual(fast.rowsRead, reference.rowsRead)
            XCTAssertEqual(fast.rowCount, reference.rowCount)
            XCTAssertGreaterThan(fast.rowCount, 10_000)
            for c in 0..<3 { XCTAssertEqual(fast.values[c].map(\.bitPattern), reference.values[c].map(\.bitPattern)) }
            XCTAssertEqual(fast.rejected, reference.rejected)
        }
    }
}
