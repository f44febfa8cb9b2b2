import LeptonIO
import ArgumentParser
import Foundation
@testable import LeptonCLI
import LeptonReport
import LeptonTestSupport
import XCTest

/// A command shaped like the domain executables', to test the shared conventions.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lepton-sample", abstract: "A sample.",
                                                    discussion: LeptonExitCode.helpText)
    @OptionGroup var common: CommonOptions
    @OptionGroup var batch: BatchOptions
    @Option var output = "out.csv"
    func run() throws {}
}

final class OptionTests: XCTestCase {
    func testCommonOptionsParse() throws {
        let command = try SampleCommand.parse(["--seed", "7", "--threads", "3", "--json", "-q"])
        XCTAssertEqual(command.common.seed, 7)
        XCTAssertEqual(command.common.threads, .fixed(3))
        XCTAssertEqual(command.common.threads.resolved, 3)
        XCTAssertTrue(command.common.json)
        XCTAssertTrue(command.common.quiet)
        let defaults = try SampleCommand.parse([])
        XCTAssertEqual(defaults.common.threads, .auto)
        XCTAssertGreaterThanOrEqual(defaults.common.threads.resolved, 1)
        XCTAssertFalse(defaults.common.json)
        XCTAssertEqual(defaults.batch.maxRejectRate, 0.01)
        XCTAssertNil(defaults.batch.shard)
        XCTAssertEqual(ThreadCount(argument: "AUTO"), .auto)
        XCTAssertNil(ThreadCount(argument: "0"))
        XCTAssertNil(ThreadCount(argument: "many"))
    }

    func testShardsParseAndBadOnesExplainThemselves() throws {
        let command = try SampleCommand.parse(["--shard", "2/8", "--rejects", "bad.csv", "--max-reject-rate", "0.05"])
        XCTAssertEqual(command.batch.shard, try Shard(index: 2, count: 8))
        XCTAssertEqual(command.batch.rejects, "bad.csv")
        XCTAssertEqual(command.batch.maxRejectRate, 0.05)
        for bad in ["0/3", "4/3", "x", "1/0", "1-3"] {
            XCTAssertThrowsError(try SampleCommand.parse(["--shard", bad])) { error in
                let message = SampleCommand.message(for: error)
                XCTAssertTrue(message.contains("Hint:"), message)
                XCTAssertEqual(SampleCommand.reportAndMapExitCodeQuietly(error), 2, "\(bad): \(message)")
            }
        }
        XCTAssertThrowsError(try SampleCommand.parse(["--max-reject-rate", "1.5"])) { error in
            XCTAssertTrue(SampleCommand.message(for: error).contains("between 0 and 1"))
        }
    }

    func testExitCodesFollowTheConventionAndAreInTheHelp() throws {
        XCTAssertEqual(SampleCommand.reportAndMapExitCodeQuietly(LeptonExitCode.rejectRateExceeded), 3)
        XCTAssertEqual(SampleCommand.reportAndMapExitCodeQuietly(DataError(file: "a.csv", message: "m", hint: "h")), 1)
        XCTAssertThrowsError(try SampleCommand.parseAsRoot(["--no-such-option"])) {
            XCTAssertEqual(SampleCommand.reportAndMapExitCodeQuietly($0), 2)
        }
        XCTAssertThrowsError(try SampleCommand.parseAsRoot(["--threads", "lots"])) {
            XCTAssertEqual(SampleCommand.reportAndMapExitCodeQuietly($0), 2)
        }
        let help = SampleCommand.helpMessage()
        for line in ["EXIT CODES:", "0  success", "1  failure", "2  usage error", "3  the job finished, but the share of rejected records exceeded", "(default 1%)",
                     "--shard <K/N>", "--threads <auto|N>", "--json", "--quiet", "--seed"] {
            XCTAssertTrue(help.contains(line), "help lacks '\(line)':\n\(help)")
        }
    }

    func testDataErrorsNamePlaceAndEndWithAHint() {
        XCTAssertEqual(DataError(file: "loans.csv", row: 12, field: "amount", message: "'abc' is not a number", hint: "use a plain decimal.").description,
                       "loans.csv: row 12, column 'amount': 'abc' is not a number. Hint: use a plain decimal.")
        XCTAssertEqual(DataError(file: "m.lepton", field: "manifest.kind", message: "unknown kind 'x'.", hint: "retrain the model.").description,
                       "m.lepton: field 'manifest.kind': unknown kind 'x'. Hint: retrain the model.")
    }
}

extension SampleCommand {
    static func message(for error: any Error) -> String { fullMessage(for: error) }
    /// The exit code for `error`, with what would be printed thrown away.
    static func reportAndMapExitCodeQuietly(_ error: any Error) -> Int32 {
        if let code = error as? ExitCode { return code.rawValue }
        let code = exitCode(for: error)
        if code == .success { return 0 }
        if code == .validationFailure || error is ValidationError { return 2 }
        return reportAndMapExitCode(for: error) == 1 ? 1 : -1
    }
}

/// A clock the test moves by hand.
final class FakeClock: @unchecked Sendable {
    private let lock = NSLock()
    private var now = 100.0
    func advance(_ seconds: Double) { lock.withLock { now += seconds } }
    var read: @Sendable () -> Double { { [self] in lock.withLock { now } } }
}

final class ProgressTests: XCTestCase {
    func testLogModeWritesAPlainLineEveryIntervalWithRateAndTimeLeft() {
        let clock = FakeClock(), captured = Captured()
        let progress = Progress("training", unit: "epochs", total: 20, mode: .log(every: 10), sink: captured.appendError, clock: clock.read)
        progress.advance()
        XCTAssertEqual(captured.error, "", "nothing before the first interval")
        clock.advance(12)
        progress.advance(by: 2)
        XCTAssertEqual(captured.error, "training: 3/20 epochs (15%), 0.25 epochs/s, about 1 min 08 s left\n")
        clock.advance(3)
        progress.advance()
        XCTAssertEqual(captured.error.split(separator: "\n").count, 1, "at most one line per interval")
        progress.finish()
        XCTAssertTrue(captured.error.hasSuffix("training: 4/20 epochs (20%), 0.27 epochs/s, done in 15 s\n"), captured.error)
        XCTAssertFalse(captured.error.contains("\r"))
    }

    func testTerminalModeRedrawsOneLineAndEndsIt() {
        let clock = FakeClock(), captured = Captured()
        let progress = Progress("scoring", unit: "rows", mode: .terminal, sink: captured.appendError, clock: clock.read)
        clock.advance(0.5)
        progress.update(items: 5_000, fraction: 0.25)
        clock.advance(0.5)
        progress.update(items: 10_000, fraction: 0.5)
        XCTAssertEqual(captured.error, "\r\u{1B}[Kscoring: 5,000 rows (25%), 10,000 rows/s, about 2 s left\r\u{1B}[Kscoring: 10,000 rows (50%), 10,000 rows/s, about 1 s left")
        progress.finish()
        XCTAssertTrue(captured.error.hasSuffix("done in 1 s\n"))
    }

    func testSilentModeAndQuietConsolesSayNothing() {
        let captured = Captured()
        let progress = Progress("x", unit: "rows", mode: .silent, sink: captured.appendError)
        progress.advance(by: 1_000_000)
        progress.finish()
        let console = Console(quiet: true, json: false, standardError: captured.appendError, standardOutput: captured.appendOutput)
        console.note("loading")
        XCTAssertEqual(captured.error, "")
        console.warning("careful")
        XCTAssertEqual(captured.error, "warning: careful\n", "warnings are shown even when quiet")
        XCTAssertEqual(console.progress("y", unit: "rows").mode, .silent)
        XCTAssertEqual(NumberFormatting.duration(7530), "2 h 05 min")
    }
}

final class ConsoleTests: XCTestCase {
    func testJSONModePrintsOneObjectAndNothingElse() {
        let captured = Captured()
        let console = Console(quiet: false, json: true, standardError: captured.appendError, standardOutput: captured.appendOutput)
        console.note("reading data.csv")
        console.result(human: ["AUC 0.9"], summary: [("auc", 0.9), ("name", "tab\t\"q\"\n"), ("n", 3), ("ok", true), ("nan", .double(.nan)),
                                                     ("list", .array([1, "a"])), ("nested", .object([("k", .null)]))])
        XCTAssertEqual(captured.output, #"{"auc":0.9,"name":"tab\t\"q\"\n","n":3,"ok":true,"nan":null,"list":[1,"a"],"nested":{"k":null}}"# + "\n")
        XCTAssertEqual(captured.error, "reading data.csv\n")
        let parsed = try? JSONSerialization.jsonObject(with: Data(captured.output.utf8)) as? [String: Any]
        XCTAssertEqual(parsed?["name"] as? String, "tab\t\"q\"\n")
        XCTAssertEqual(JSONValue.quoted("\u{01}"), "\"\\u0001\"")
    }

    func testHumanModePrintsLines() {
        let captured = Captured()
        Console(quiet: false, json: false, standardError: captured.appendError, standardOutput: captured.appendOutput)
            .result(human: ["AUC 0.900", "KS 0.4"], summary: [("auc", 0.9)])
        XCTAssertEqual(captured.output, "AUC 0.900\nKS 0.4\n")
    }
}

final class ReportFilesTests: XCTestCase {
    func testReportsAreWrittenAtomicallyWithFiguresBesideTheMarkdown() throws {
        let dir = try TemporaryDirectory("reportfiles")
        defer { dir.remove() }
        var report = Report(title: "T", provenance: Provenance(tool: "lepton-test", toolVersion: "1.0", seed: 3))
        report.addFigure(LineChart(title: "L", x: Axis("x"), y: Axis("y"), series: [Series("s", x: [0, 1], y: [1, 2])]), caption: "c")
        try ReportFiles.writeHTML(report, to: dir.file("r.html"))
        let written = try ReportFiles.writeMarkdown(report, to: dir.file("r.md"))
        XCTAssertEqual(written, [dir.file("r-figures/figure-1.svg"), dir.file("r.md")])
        XCTAssertEqual(try String(contentsOfFile: dir.file("r.html"), encoding: .utf8), report.html())
        XCTAssertTrue(try String(contentsOfFile: dir.file("r.md"), encoding: .utf8).contains("](r-figures/figure-1.svg)"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["r-figures", "r.html", "r.md"])
        XCTAssertThrowsError(try ReportFiles.writeHTML(report, to: dir.file("missing-folder/r.html")))
    }
}
