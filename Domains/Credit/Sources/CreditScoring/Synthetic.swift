import Foundation
import LeptonCore
import LeptonIO

/// Synthetic applicants drawn from a training file's distribution: each synthetic row is a
/// training row drawn uniformly with replacement (the empirical joint distribution, so the
/// characteristics keep their relations and the outcome its rate), written as raw CSV text
/// with a new ID column `applicant_id` in front.
public enum SyntheticApplicants {
    /// Writes `rows` applicants to `output` (atomically) drawn from the data rows of `source`.
    /// Every `corruptEvery`-th row (when set) gets the text `not-a-number` in numeric column
    /// `corruptColumn`, so that the rejects path is exercised. Returns the bytes written.
    @discardableResult
    public static func write(from source: String, to output: String, rows: Int, seed: UInt64,
                             corruptEvery: Int? = nil, corruptColumn: String? = nil) throws -> Int {
        let reader = try CSVReader(path: source)
        var lines: [[UInt8]] = []
        var corruptLines: [[UInt8]] = []
        let corruptIndex = try corruptColumn.map { try reader.context.index(of: $0) }
        try reader.forEachRow { row in
            guard row.problem == nil else { return }
            let fields = row.rawFields
            lines.append(Array(csvLine(fields).utf8))
            if let corruptIndex {
                var bad = fields
                bad[corruptIndex] = "not-a-number"
                corruptLines.append(Array(csvLine(bad).utf8))
            }
        }
        guard !lines.isEmpty else {
            throw DataError("\(source): no usable rows to draw applicants from", hint: "give a training file with data rows.")
        }
        let file = try AtomicFile(path: output)
        do {
            try file.write(csvLine(["applicant_id"] + reader.columns) + "\n")
            var rng = SeededGenerator(seed: seed)
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 20)
            var written = 0
            for i in 1...max(rows, 1) where rows > 0 {
                let k = Int(rng.next() % UInt64(lines.count))
                buffer.append(contentsOf: String(i).utf8)
                buffer.append(UInt8(ascii: ","))
                let corrupt = corruptEvery.map { i % $0 == 0 } ?? false
                buffer.append(contentsOf: corrupt && !corruptLines.isEmpty ? corruptLines[k] : lines[k])
                buffer.append(0x0A)
                if buffer.count >= 1 << 20 {
                    try buffer.withUnsafeBytes { try file.write($0) }
                    written += buffer.count
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            try buffer.withUnsafeBytes { try file.write($0) }
            written += buffer.count
            try file.commit()
            return written
        } catch {
            file.abandon()
            throw error
        }
    }

    /// Fields joined as one RFC 4180 CSV line (quoted when they hold a comma, quote or line break,
    /// or start or end with a space).
    public static func csvLine(_ fields: [String]) -> String {
        fields.map { field in
            let needs = field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                || field.first == " " || field.last == " "
            return needs ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }.joined(separator: ",")
    }
}
