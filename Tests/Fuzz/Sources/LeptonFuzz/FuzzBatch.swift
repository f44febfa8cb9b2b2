import Foundation
import LeptonCLI
import LeptonIO

/// The parallel batch job against the sequential one on the same bytes: the same output and
/// rejects files, byte for byte, and the same counts.
enum FuzzBatch {
    /// A toy worker: the first field as a number, doubled (text in it rejects the record).
    struct Doubling: BatchWorker {
        mutating func encode(_ row: CSVRow, into line: inout CSVLine) throws {
            guard row.count > 0, let value = try row.double(at: 0) else { throw row.error(column: 0, reason: "no number") }
            line.appendField(String(row.number))
            line.appendField(String(value * 2))
        }
        var tallies: [BatchTally] { [] }
    }

    static func parallelAgreesWithSequential(_ bytes: [UInt8]) {
        let path = Scratch.write(bytes, name: "batch.csv")
        var options = CSVOptions()
        options.maxFieldBytes = 64
        func run(_ threads: Int) -> String {
            guard let reader = try? CSVReader(path: path, options: options) else { return "refused" }
            var configuration = BatchConfiguration(outputPath: Scratch.directory + "/out-\(threads).csv", maxRejectRate: 1)
            configuration.minimumPartBytes = 1
            do {
                let summary = try BatchJob.run(input: reader, outputColumns: ["row", "doubled"], configuration: configuration,
                                               threads: threads, firstFieldIsRowNumber: true) { Doubling() }
                let output = (try? String(contentsOfFile: summary.outputPath, encoding: .utf8)) ?? "?"
                let rejects = (try? String(contentsOfFile: summary.rejectsPath, encoding: .utf8)) ?? "?"
                return "\(summary.read) \(summary.written) \(summary.rejected)\n\(output)\n\(rejects)"
            } catch {
                return "error: \(error)".replacingOccurrences(of: "out-\(threads)", with: "out")
            }
        }
        let one = run(1), three = run(3)
        if one != three { disagree("batch job: 1 thread and 3 threads disagree on \(bytes.count) bytes") }
    }
}
