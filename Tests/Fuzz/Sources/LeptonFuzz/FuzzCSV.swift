import Foundation
import LeptonIO

/// CSV targets.
enum FuzzCSV {
    struct Record: Equatable {
        var number: Int
        var fields: [String]
        var numbers: [UInt64?]
        var problem: String?
    }

    /// Every record of `bytes` read as a CSV file, or nil when the file as a whole is refused.
    static func records(_ bytes: [UInt8], fastPath: Bool) -> [Record]? {
        let path = Scratch.write(bytes, name: "input.csv")
        var options = CSVOptions()
        options.fastPathForUnquotedData = fastPath
        options.maxFieldBytes = 64  // small limits, so inputs of a few hundred bytes reach them
        options.maxRowBytes = 256
        guard let reader = try? CSVReader(path: path, options: options) else { return nil }
        var out: [Record] = []
        do {
            _ = try reader.forEachRow { row in
                let numbers = (0..<row.count).map { j -> UInt64? in
                    guard let value = try? row.double(at: j) else { return nil }
                    return value.isNaN ? UInt64.max : value.bitPattern
                }
                out.append(Record(number: row.number, fields: row.rawFields, numbers: numbers,
                                  problem: row.problem.map { "\($0)" }))
            }
        } catch {
            return nil
        }
        return out
    }

    static func fastAgreesWithLibcsv(_ bytes: [UInt8]) {
        let slow = records(bytes, fastPath: false), fast = records(bytes, fastPath: true)
        guard slow == fast else {
            disagree("fast path and libcsv disagree on \(bytes.count) bytes: \(String(describing: fast?.count)) vs \(String(describing: slow?.count)) records")
        }
    }

    static func numericPartsAgree(_ bytes: [UInt8]) {
        partsAgree(bytes, name: "NumericTable") { path, options, threads in
            let t = try NumericTable.read(path: path, threads: threads, options: options)
            return "\(t.rowsRead) \(t.values.map { $0.map(\.bitPattern) }) \(t.rejected.map { "\($0.row) \($0.reason)" })"
        }
    }

    static func tabularPartsAgree(_ bytes: [UInt8]) {
        partsAgree(bytes, name: "TabularTable") { path, options, threads in
            let t = try TabularTable.read(path: path, options: options, threads: threads)
            return "\(t.rowsRead) \(t.rowCount) \(t.rejected.map { "\($0.row) \($0.reason)" })"
        }
    }

    /// A table read in one part and in three describes itself the same (`describe`; "refused" when it throws).
    static func partsAgree(_ bytes: [UInt8], name: String, _ describe: (String, CSVOptions, Int) throws -> String) {
        let path = Scratch.write(bytes, name: "table.csv")
        var options = CSVOptions()
        options.maxFieldBytes = 64
        let one = (try? describe(path, options, 1)) ?? "refused", three = (try? describe(path, options, 3)) ?? "refused"
        if one != three { disagree("\(name): 1 part and 3 parts disagree on \(bytes.count) bytes") }
    }
}
