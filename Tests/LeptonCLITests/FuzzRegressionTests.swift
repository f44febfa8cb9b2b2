import Foundation
@testable import LeptonCLI
import LeptonIO
import LeptonTestSupport
import XCTest

/// Inputs `make fuzz` found where the parallel batch job and the sequential one disagreed.
final class FuzzRegressionTests: XCTestCase {
    func run(_ path: String, threads: Int, dir: TemporaryDirectory) throws -> String {
        var options = CSVOptions()
        options.maxFieldBytes = 64
        let reader = try CSVReader(path: path, options: options)
        var configuration = BatchConfiguration(outputPath: dir.file("out-\(threads).csv"), maxRejectRate: 1)
        configuration.minimumPartBytes = 1
        let summary = try BatchJob.run(input: reader, outputColumns: ["row", "doubled"], configuration: configuration, threads: threads,
                                       firstFieldIsRowNumber: true) { DoublingWorker(amount: 0) }
        return "\(summary.read) \(summary.written) \(summary.rejected)\n" + (try String(contentsOfFile: summary.outputPath, encoding: .utf8))
            + (try String(contentsOfFile: summary.rejectsPath, encoding: .utf8))
    }

    func testBatchJobOnEveryThreadCountAgrees() throws {
        let dir = try TemporaryDirectory("fuzz-regressions")
        defer { dir.remove() }
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fuzz/regressions").standardized
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasPrefix("batch-") {
            let path = dir.file(name)
            try Data(contentsOf: folder.appendingPathComponent(name)).write(to: URL(fileURLWithPath: path))
            let one = try run(path, threads: 1, dir: dir)
            for threads in [2, 3] { XCTAssertEqual(try run(path, threads: threads, dir: dir), one, "\(name), \(threads) threads") }
        }
    }
}
