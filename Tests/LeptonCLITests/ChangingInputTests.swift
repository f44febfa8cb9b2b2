import Foundation
@testable import LeptonCLI
import LeptonIO
import LeptonTestSupport
import XCTest

/// A worker that changes its own input at its first record (as another program appending to,
/// or truncating, the file would while a batch job reads it).
struct MeddlingWorker: BatchWorker {
    let path: String
    let truncate: Bool
    var done = false

    mutating func encode(_ row: CSVRow, into line: inout CSVLine) throws {
        if !done {
            done = true
            if truncate {
                _ = Glibc.truncate(path, 40)
            } else if let handle = FileHandle(forWritingAtPath: path) {
                handle.seekToEndOfFile()
                handle.write(Data("999,1,late\n".utf8))
                handle.closeFile()
            }
        }
        line.appendField(String(row.number))
    }

    var tallies: [BatchTally] { [] }
}

/// An input that grows or is truncated while a batch job reads it: the job fails with a clear
/// message and commits nothing, sequentially and in parts.
final class ChangingInputTests: XCTestCase {
    func testInputChangedWhileReadIsReportedAndNothingIsCommitted() throws {
        let dir = try TemporaryDirectory("changing-input")
        defer { dir.remove() }
        for truncate in [false, true] {
            for threads in [1, 2] {
                var text = "id,amount,note\n"
                for i in 0..<5_000 { text += "\(i),\(i % 97),plain\n" }
                let path = try dir.write("in.csv", text)
                let reader = try CSVReader(path: path)
                var configuration = BatchConfiguration(outputPath: dir.file("out.csv"), shard: nil, maxRejectRate: 1)
                configuration.minimumPartBytes = 1
                XCTAssertThrowsError(try BatchJob.run(input: reader, outputColumns: ["row"], configuration: configuration, threads: threads) {
                    MeddlingWorker(path: path, truncate: truncate)
                }) { error in
                    XCTAssertTrue("\(error)".contains("changed while it was read"), "\(error)")
                }
                XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("out.csv")), "truncate \(truncate), \(threads) threads")
                XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }, [])
            }
        }
    }
}
