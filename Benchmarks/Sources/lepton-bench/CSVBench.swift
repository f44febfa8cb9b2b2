import ArgumentParser
import Foundation
import LeptonIO

/// `lepton-bench csv`: read a numeric CSV into one Float array per column.
struct CSVBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csv", abstract: "Time reading a numeric CSV into Float32 column arrays.")

    @Option(help: "The CSV file to read (make one with `lepton-bench generate-csv`).")
    var file: String

    @Option(help: "Cores to read with.")
    var threads = 1

    @Option(help: "Timed repetitions; the best is reported.")
    var `repeat` = 3

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        var best = Double.infinity
        var table: NumericTable?
        for _ in 0..<max(1, `repeat`) {
            let (result, seconds) = try secondsTaken { try NumericTable.read(path: file, threads: threads) }
            best = min(best, seconds)
            table = result
        }
        guard let table else { return }
        let megabytes = Double(fileSize(file)) / 1e6
        let checksum = table.values.reduce(0.0) { $0 + $1.reduce(0.0) { $0 + Double($1) } }
        if json {
            printJSON(["tool": "lepton", "threads": threads, "seconds": best, "mb_per_s": megabytes / best,
                       "rows": table.rowCount, "columns": table.columns.count, "rejected": table.rejected.count,
                       "checksum": checksum])
        } else {
            print(String(format: "lepton csv: %.1f MB in %.3f s = %.1f MB/s on %d thread(s); %d rows × %d columns, %d rejected",
                         megabytes, best, megabytes / best, threads, table.rowCount, table.columns.count, table.rejected.count))
        }
    }
}

/// `lepton-bench generate-csv`: a seeded numeric CSV of about the asked size.
struct GenerateCSV: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-csv", abstract: "Write a seeded numeric CSV (floats of varied magnitude and precision).")

    @Option(help: "Output path.")
    var out: String

    @Option(help: "Approximate size in megabytes.")
    var megabytes = 100

    @Option(help: "Number of columns.")
    var columns = 20

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    func run() throws {
        let file = try AtomicFile(path: out)
        try file.write((1...columns).map { "x\($0)" }.joined(separator: ",") + "\n")
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let target = megabytes * 1_000_000
        var written = 0
        var line = ""
        while written < target {
            line.removeAll(keepingCapacity: true)
            for c in 0..<columns {
                let r = next()
                // Sensor-like magnitudes with 4 to 8 significant digits, some negative, some integers.
                let digits = Int(r % 5) + 4
                let scale = [1.0, 10, 100, 1000, 0.01][Int((r >> 8) % 5)]
                let value = (Double((r >> 16) % 2_000_000) / 1_000_000 - 1) * scale
                line += c % 7 == 6 ? String(Int(value * 100)) : String(format: "%.\(digits)g", value)
                if c + 1 < columns { line += "," }
            }
            line += "\n"
            try file.write(line)
            written += line.utf8.count
        }
        try file.commit()
        print("wrote \(out): \(written / 1_000_000) MB, \(columns) columns")
    }
}
