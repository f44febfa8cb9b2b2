import ArgumentParser
import Foundation
import LeptonCLI
import LeptonCore
import LeptonIO
import LeptonReport
import LineQuality

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Charts with violations and capability, a failure model validated out of sample, a batch of parts scored, and a growing log followed, on the embedded data.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "Where to write the model, reports and alerts.") var outDir = NSTemporaryDirectory() + "lepton-qc-demo"

    func run() throws {
        let console = Console(options: common)
        let threads = common.threads.resolved
        let parts = try EmbeddedData.locate("manufacturing/parts.csv"), log = try EmbeddedData.locate("manufacturing/timeseries.csv")
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        var lines: [String] = []

        // 1. Control charts: torque of the parts in subgroups of 5 (Phase I: the first 200),
        //    and one machine's temperature from the time-series log (I-MR, Nelson rules).
        var xbar = ChartSettings(type: .xbarR)
        (xbar.phase1, xbar.rules) = (0..<200, .nelson)
        var input = ChartInput(path: parts, column: "Torque [Nm]")
        input.subgroupSize = 5
        let chart = try ChartJob.run(input, settings: xbar, lsl: 5, usl: 75)
        lines += ["== X̄–R chart of torque, with capability against 5–75 Nm"] + chart.lines(path: parts, column: input.column)
        var imr = ChartSettings(type: .imr)
        (imr.phase1, imr.rules) = (0..<150, .nelson)
        var machine = ChartInput(path: log, column: "temperature [C]")
        machine.filter = ("machine", "M1")
        let machineChart = try ChartJob.run(machine, settings: imr)
        lines += ["", "== I-MR chart of machine M1's temperature (a 1 °C shift is injected at 40–50 % of the log)"]
            + machineChart.lines(path: log, column: machine.column)
        let provenance = RunProvenance.current(tool: "lepton-qc", seed: common.seed, dataFile: parts)
        try ReportFiles.writeHTML(machineChart.report(title: "Machine M1 temperature", provenance: Provenance(provenance, modelFile: nil), lsl: nil, usl: nil),
                                  to: outDir + "/chart-m1.html")

        // 2. A failure model with physics features, validated out of sample: out-of-fold figures, then a new batch.
        let data = try PartsData.load(path: parts, target: "Machine failure", positive: "1", drop: PhysicsFeatures.ai4iNonFeatures,
                                      derived: try PhysicsFeatures.ai4i.map { try FeatureExpression($0) }, threads: threads)
        var config = FailureConfig()
        (config.seed, config.threads) = (common.seed, threads)
        let result = try FailureTraining.fit(data, config: config, target: "Machine failure", positive: "1", idColumn: "UDI")
        let trained = TrainedFailureModel(result: result, data: data, falseAlarmRate: 0.01, seed: common.seed)
        let modelPath = outDir + "/failure.lepton"
        try FailureModelFile.write(result.model, to: modelPath, metrics: trained.metrics, provenance: provenance)
        try ReportFiles.writeHTML(trained.report(provenance: Provenance(provenance, modelFile: modelPath)), to: outDir + "/failure.html")
        lines += ["", "== Failure model"] + trained.lines

        // 3. A new batch of parts (another seed), validated and scored on every core.
        let batch = outDir + "/new-parts.csv", alerts = outDir + "/alerts.csv"
        try LineSynth.writeParts(to: batch, rows: 20_000, seed: common.seed &+ 1)
        let validation = try FailureValidation(model: result.model, path: batch, seed: common.seed, threads: threads)
        lines += ["", "== New batch of 20,000 parts (a model that never saw them)"] + validation.evaluation.lines
        let reader = try CSVReader(path: batch)
        let started = Date()
        let summary = try BatchJob.run(input: reader, outputColumns: AlertWorker.columns(for: result.model, header: reader.columns),
                                       configuration: BatchConfiguration(outputPath: alerts), threads: threads,
                                       progress: console.progress("scoring", unit: "rows")) {
            try AlertWorker(model: result.model, header: reader.columns, path: batch)
        }
        let seconds = Date().timeIntervalSince(started)
        lines.append(String(format: "scored %@ parts in %.2f s: %@ alerts written to %@", NumberFormat.integer(summary.read), seconds,
                            NumberFormat.integer(summary.tallies.first { $0.name == "alerts" }?.count ?? 0), alerts))
        // 4. Follow mode: a log being appended to (2,000 parts written in small bursts) scored as it grows.
        let live = outDir + "/live.csv", liveAlerts = outDir + "/live-alerts.csv"
        let source = try String(contentsOfFile: batch, encoding: .utf8).split(separator: "\n").prefix(2_001).map { $0 + "\n" }
        try source[0].write(toFile: live, atomically: false, encoding: .utf8)
        let writer = Thread {
            guard let handle = FileHandle(forWritingAtPath: live) else { return }
            handle.seekToEndOfFile()
            for burst in stride(from: 1, to: source.count, by: 50) {
                handle.write(Data(source[burst..<min(burst + 50, source.count)].joined().utf8))
                usleep(5_000)
            }
            try? handle.close()
        }
        writer.start()
        var follow = FollowSettings()
        follow.idleSeconds = 1
        let followed = try BatchJob.follow(path: live, outputColumns: { AlertWorker.columns(for: result.model, header: $0) },
                                           output: liveAlerts, settings: follow, shouldStop: { false }) { header in
            try AlertWorker(model: result.model, header: header, path: live)
        }
        lines.append("followed a growing log: \(NumberFormat.integer(followed.read)) parts scored as they were appended, "
                     + "\(followed.tallies.first { $0.name == "alerts" }?.count ?? 0) alerts in \(liveAlerts)")
        console.result(human: lines, summary: [("chart_violations", .int(chart.charts.map(\.violations.count).reduce(0, +))),
                                               ("cv_roc_auc", .double(result.crossValidation?.mean ?? .nan)),
                                               ("new_batch", .object(validation.evaluation.jsonFields)), ("alerts", .string(alerts))])

        // 5. The navigator (shown without --json): the failure model compressed and re-checked on the
        //    new batch, then tune over model sizes, compressions and thread counts.
        if !common.json {
            print("", "== The speed/cost navigator: the failure model compressed, re-checked on the new batch (lepton-qc compress)")
            let compress = try Compress.parse(["--model", modelPath, "--method", "trees", "--val", batch, "--out", outDir + "/failure-small.lepton", "--quiet"])
            try compress.run()
            print("", "== Tune: failure models of four sizes, compressed or not, on 1 or 2 threads (lepton-qc tune)")
            var arguments = ["--data", parts, "--val", batch, "--target", "Machine failure", "--positive", "1",
                             "--drop", PhysicsFeatures.ai4iNonFeatures.joined(separator: ","), "--out", outDir + "/tune",
                             "--budget-minutes", "3", "--quiet", "--seed", String(common.seed)]
            for feature in PhysicsFeatures.ai4i { arguments += ["--feature", feature] }
            let tune = try Tune.parse(arguments)
            try tune.run()
        }
    }
}
