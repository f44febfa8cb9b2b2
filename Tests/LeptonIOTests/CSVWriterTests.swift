import Foundation
@testable import LeptonIO
import LeptonTestSupport
import XCTest

final class CSVWriterTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("csvw") }
    override func tearDown() { dir.remove() }

    func testQuotingRoundTrips() throws {
        let rows = [
            ["plain", "with,comma", "say \"hi\"", "two\nlines", " padded ", "cr\r\nlf", "", "\"", "é ü"],
            ["1", "2", "3", "4", "5", "6", "7", "8", "9"],
        ]
        let path = dir.file("out.csv")
        let writer = try CSVWriter(path: path)
        try writer.writeRow((1...9).map { "c\($0)" })
        for row in rows { try writer.writeRow(row) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing under the final name before commit")
        try writer.commit()
        let read = try readAll(path)
        XCTAssertEqual(read.rows.map(\.fields), rows)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.contains("\"say \"\"hi\"\"\""))
    }

    func testAbandonLeavesNothing() throws {
        let path = dir.file("gone.csv")
        let writer = try CSVWriter(path: path)
        try writer.writeRow(["a"])
        writer.abandon()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }

    func testCommitReplacesAnExistingFileWhole() throws {
        let path = try dir.write("r.csv", "old\n")
        let writer = try CSVWriter(path: path)
        try writer.writeRow(["new"])
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old\n")
        try writer.commit()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "new\n")
    }

    func testNumbersAreWrittenExactly() throws {
        let path = dir.file("n.csv")
        let writer = try CSVWriter(path: path)
        let values = [0.1, -2.5, 1e-5, 123456789, 1.0 / 3, .nan]
        for v in values {
            try writer.writeField(v)
            try writer.endRow()
        }
        try writer.commit()
        let reader = try CSVReader(path: path, options: CSVOptions(hasHeader: false))
        var back: [Double?] = []
        try reader.forEachRow { back.append(try $0.double(at: 0)) }
        XCTAssertEqual(back.dropLast(), values.dropLast().map { Optional($0) })
        XCTAssertNil(back.last!)
    }

    /// A child process writing a large file is killed mid-write: the final name never appears.
    func testKilledWriterLeavesNoPartialFile() throws {
        let probe = productsDirectory.appendingPathComponent("lepton-io-probe")
        guard FileManager.default.isExecutableFile(atPath: probe.path) else {
            XCTFail("lepton-io-probe not built at \(probe.path); run `swift build --build-tests`")
            return
        }
        let target = dir.file("big.csv")
        let process = Process()
        process.executableURL = probe
        process.arguments = ["write-slowly", target]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        // Wait until the child reports it has written a good deal, then kill it.
        let handle = pipe.fileHandleForReading
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("writing") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        usleep(200_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        XCTAssertFalse(FileManager.default.fileExists(atPath: target), "a partial file appeared under the final name")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        XCTAssertEqual(leftovers.count, 1, "the hidden temporary file stays behind: \(leftovers)")
        XCTAssertTrue(leftovers.first?.hasPrefix(".big.csv.tmp-") ?? false)
        let size = (try FileManager.default.attributesOfItem(atPath: dir.file(leftovers[0]))[.size] as? Int) ?? 0
        XCTAssertGreaterThan(size, 0, "the child had started writing")
    }

    private var productsDirectory: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
    }
}
