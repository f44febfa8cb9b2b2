import Foundation
import LeptonCore
import LeptonIO
import LeptonTestSupport
@testable import LineQuality
import XCTest

/// The alert worker's block path (records staged, scored eight at a time, lines written at the
/// flush) writes what its one-record path writes: for boosted trees and isolation forests, with
/// an ID column (ASCII, UTF-8 and invalid bytes) and without, with rejects, unseen categories
/// and missing readings, for any block fill.
final class AlertWorkerTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("alert-worker") }
    override func tearDown() { dir.remove() }

    /// Lines by `encode`, record by record, and by `stage`/`flush`, flushing every `every` records.
    func lines(_ worker: () throws -> AlertWorker, path: String, every: Int) throws -> (single: [String], blocks: [String]) {
        let reader = try CSVReader(path: path)
        let one = try worker(), block = try worker()
        var single: [String] = [], blocks: [String] = []
        var line = CSVLine(delimiter: UInt8(ascii: ","))
        defer { line.deallocate() }
        var staged = 0
        func flush() throws {
            try block.flush(into: &line) { blocks.append(String(decoding: $0.bytes, as: UTF8.self)) }
            staged = 0
        }
        try reader.forEachRow { row in
            guard row.problem == nil else { return }
            line.clear()
            do {
                try one.encode(row, into: &line)
                single.append(String(decoding: line.bytes, as: UTF8.self))
            } catch is CSVRowError { single.append("rejected \(row.number)") }
            do {
                try block.stage(row)
                staged += 1
                if staged == every { try flush() }
            } catch is CSVRowError {
                try flush()  // a reject's place among the lines, for the comparison
                blocks.append("rejected \(row.number)")
            }
        }
        try flush()
        XCTAssertEqual(one.tallies, block.tallies)
        return (single, blocks)
    }

    func testTheBlockPathWritesTheOneRecordPathsLines() throws {
        let train = dir.file("train.csv"), log = dir.file("log.csv")
        try LineSynth.writeParts(to: train, rows: 3000, seed: 1)
        try LineSynth.writeParts(to: log, rows: 700, seed: 2)
        let cleanLog = dir.file("clean.csv")
        try FileManager.default.copyItem(atPath: log, toPath: cleanLog)
        // Damage the log: text in a reading, a missing reading, an unseen type, IDs in UTF-8 and invalid bytes.
        var text = try String(contentsOfFile: log, encoding: .utf8).components(separatedBy: "\n")
        for i in stride(from: 3, to: 700, by: 17) {
            var fields = text[i].components(separatedBy: ",")
            switch i % 4 {
            case 0: fields[6] = "abc"
            case 1: fields[5] = ""
            case 2: fields[2] = "Z"
            default: fields[0] = "Teil-\(i)-ü"
            }
            text[i] = fields.joined(separator: ",")
        }
        var bytes = Array(text.joined(separator: "\n").utf8)
        let at = bytes.firstIndex(of: UInt8(ascii: "\n"))! + 1  // the first record's ID starts here
        bytes.insert(0xFF, at: at)
        try Data(bytes).write(to: URL(fileURLWithPath: log))

        let drop = ["UDI", "Product ID", "TWF", "HDF", "PWF", "OSF", "RNF"]
        let derived = try [#"power = "Torque [Nm]" * "Rotational speed [rpm]" * 2 * pi / 60"#, #"wear = log("Tool wear [min]")"#]
            .map(FeatureExpression.init)
        let data = try PartsData.load(path: train, target: "Machine failure", positive: "1", drop: drop, derived: derived)
        var alerts = 0
        for kind in FailureModelKind.allCases {
            var config = FailureConfig()
            config.kind = kind
            config.rounds = 20
            config.threshold = .falseAlarmRate(0.1)
            for id in ["UDI", nil] as [String?] {
                let model = try FailureTraining.fit(data, config: config, target: "Machine failure", positive: "1", idColumn: id).model
                let header = try CSVReader(path: log).columns
                // The scores against the model's own reading of the undamaged log (PartsData with
                // the model's schema, scored over columns): the worker's reading and scoring, pinned.
                let clean = try PartsData.load(path: cleanLog, target: nil, positive: nil, schema: model.spec.schema)
                let expected = try model.scores(FeatureColumns(columns: clean.columns, names: clean.schema.names, kinds: clean.schema.kinds))
                let (cleanLines, _) = try lines({ try AlertWorker(model: model, header: header, path: cleanLog, topCount: 0) },
                                                path: cleanLog, every: 64)
                XCTAssertEqual(cleanLines.count, expected.count)
                for (line, score) in zip(cleanLines, expected) {
                    XCTAssertEqual(Double(line.split(separator: ",")[1]), score, "\(kind): \(line)")
                }
                for every in [1, 5, 8, 64] {
                    for top in [0, 3] {
                        let (single, blocks) = try lines({ try AlertWorker(model: model, header: header, path: log, topCount: top) },
                                                         path: log, every: every)
                        XCTAssertEqual(single.count, 700)
                        XCTAssertEqual(blocks, single, "\(kind), ID \(id ?? "none"), blocks of \(every), top \(top)")
                        XCTAssertGreaterThan(single.filter { $0.hasPrefix("rejected") }.count, 5)
                        alerts += single.filter { $0.contains(",1,") || $0.hasSuffix(",1") }.count
                    }
                }
            }
        }
        XCTAssertGreaterThan(alerts, 0, "some lines are alerts")
    }
}
