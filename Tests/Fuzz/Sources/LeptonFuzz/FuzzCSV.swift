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
        let path = Scratch.write(bytes, name: "numeric.csv")
        var options = CSVOptions()
        options.maxFieldBytes = 64
        func read(_ threads: Int) -> String {
            guard let t = try? NumericTable.read(path: path, threads: threads, options: options) else { return "refused" }
            return "\(t.rowsRead) \(t.values.map { $0.map(\.bitPattern) }) \(t.rejected.map { "\($0.row) \($0.reason)" })"
        }
        let one = read(1), three = read(3)
        if one != three { disagree("NumericTable: 1 part and 3 parts disagree on \(bytes.count) bytes") }
    }

    static func tabularPartsAgree(_ bytes: [UInt8]) {
        let path = Scratch.write(bytes, name: "tabular.csv")
        var options = CSVOptions()
        options.maxFieldBytes = 64
        func read(_ threads: Int) -> String {
            guard let t = try? TabularTable.read(path: path, options: options, threads: threads) else { return "refused" }
            return "\(t.rowsRead) \(t.rowCount) \(t.rejected.map { "\($0.row) \($0.reason)" })"
        }
        let one = read(1), three = read(3)
        if one != three { disagree("TabularTable: 1 part and 3 parts disagree on \(bytes.count) bytes") }
    }
}
