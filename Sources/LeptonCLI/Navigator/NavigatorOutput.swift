import Foundation
import LeptonCore
import LeptonIO
import LeptonReport
#if canImport(Glibc)
import Glibc
#endif

/// Writes what `tune` found, the same way in every executable: `DIR/pareto.csv`,
/// `DIR/pareto.json`, `DIR/report.html` (frontier charts with the chosen point labelled) and the
/// `--json` summary (`pareto`: name, metric, latency_us_p50, latency_us_p99, throughput, bytes,
/// cost_per_million, chosen, …). The chosen model itself is written by the domain.
public enum NavigatorOutput {
    /// Creates `dir` when missing.
    public static func makeFolder(_ dir: String) throws {
        if mkdir(dir, 0o755) != 0 && errno != EEXIST {
            throw DataError(file: dir, message: "cannot create the output folder (\(String(cString: strerror(errno))))",
                            hint: "check that its parent exists and is writable.")
        }
    }

    /// One JSON object per measured candidate, in candidate order.
    public static func rows(_ result: NavigatorSearch.Result, descriptions: [String]) -> [JSONValue] {
        result.measured.indices.compactMap { i -> JSONValue? in
            guard let c = result.measured[i] else { return nil }
            var o: [(String, JSONValue)] = [
                ("name", .string(c.name)), ("metric", .double(c.metric)), ("latency_us_p50", .double(c.speed.latencyP50Microseconds)),
                ("latency_us_p99", .double(c.speed.latencyP99Microseconds)), ("throughput", .double(c.speed.throughput)),
                ("bytes", .int(c.bytes)), ("cost_per_million", .double(c.costPerMillion)), ("chosen", .bool(result.choice?.index == i)),
                ("threads", .int(c.speed.threads)), ("batch_size", .int(c.speed.batchSize)), ("fidelity", .double(c.fidelity)),
                ("training_seconds", .double(c.trainingSeconds)), ("training_cost", .double(c.trainingCost)),
                ("description", .string(i < descriptions.count ? descriptions[i] : "")),
            ]
            for (k, v) in c.extra.sorted(by: { $0.key < $1.key }) { o.append((k, .double(v))) }
            return .object(o)
        }
    }

    /// Writes pareto.csv, pareto.json and report.html into `dir`; returns the paths.
    @discardableResult
    public static func write(_ result: NavigatorSearch.Result, descriptions: [String], metricName: String, domain: String,
                             constraints: NavigatorConstraints, tolerance: Double, cost: CostModel, dir: String,
                             provenance: RunProvenance) throws -> [String] {
        try makeFolder(dir)
        let rows = rows(result, descriptions: descriptions)
        let csv = try CSVWriter(path: "\(dir)/pareto.csv")
        let header = ["name", "metric", "latency_us_p50", "latency_us_p99", "throughput", "bytes", "cost_per_million", "chosen",
                      "threads", "batch_size", "fidelity", "training_seconds", "training_cost", "peak_rss_mb", "description"]
        try csv.writeRow(header)
        for row in rows {
            try csv.writeRow(header.map { key -> String in
                guard let v = row[key] else { return "" }
                switch v {
                case .string(let s): return s
                case .bool(let b): return b ? "true" : "false"
                case .int(let n): return String(n)
                default: return v.number.map { String($0) } ?? ""
                }
            })
        }
        try csv.commit()
        var json: [(String, JSONValue)] = [("domain", .string(domain)), ("metric", .string(metricName)), ("pareto", .array(rows))]
        if let choice = result.choice, let c = result.measured[choice.index] {
            json += [("chosen", .string(c.name)), ("meets_constraints", .bool(choice.meetsConstraints)), ("reason", .string(choice.reason)),
                     ("violations", .array(choice.violations.map { .string($0) }))]
        }
        json += [("cpu_hour_price", .double(cost.cpuHourPrice)), ("training_compute_seconds", .double(result.computeSeconds)),
                 ("stopped_early", .bool(result.stoppedEarly))]
        try AtomicFile.write(text: JSONValue.object(json).text + "\n", to: "\(dir)/pareto.json")
        let r = report(result, descriptions: descriptions, metricName: metricName, domain: domain, constraints: constraints,
                       tolerance: tolerance, cost: cost, provenance: provenance)
        try ReportFiles.writeHTML(r, to: "\(dir)/report.html")
        try ReportFiles.writeMarkdown(r, to: "\(dir)/report.md")  // the same, with its charts as SVG files in report-figures/
        return ["\(dir)/pareto.csv", "\(dir)/pareto.json", "\(dir)/report.html"]
    }

    /// The report: the choice and why, two frontier charts (metric against p50 latency and
    /// against cost per million) and the table of every candidate.
    public static func report(_ result: NavigatorSearch.Result, descriptions: [String], metricName: String, domain: String,
                              constraints: NavigatorConstraints, tolerance: Double, cost: CostModel, provenance: RunProvenance) -> Report {
        var r = Report(title: "Speed/cost navigator: \(domain)", provenance: Provenance(provenance, modelFile: nil))
        let measured = result.measured.indices.filter { result.measured[$0] != nil }
        if let choice = result.choice, let c = result.measured[choice.index] {
            r.addCallout("Chosen: \(c.name) — \(choice.reason)." + (choice.violations.isEmpty ? "" : " It fails: " + choice.violations.joined(separator: "; ") + "."))
        }
        r.addParagraph(String(format: "%d candidates measured (%d at full fidelity) in %.0f training compute seconds (training and compressing, measuring aside); cost at %.4g per CPU-hour; tolerance %.4g of the best %@.%@",
                              measured.count, result.finalists.count, result.computeSeconds, cost.cpuHourPrice, tolerance, metricName,
                              result.stoppedEarly ? " The search was stopped before it finished (budget or interrupt): the table holds what was measured." : ""))
        let points = measured.map { i in (i, result.measured[i]!) }
        let chosenPosition = points.firstIndex { $0.0 == result.choice?.index }
        for (xName, unit, value) in [("p50 latency", "µs", { (c: NavigatorCandidate) in c.speed.latencyP50Microseconds }),
                                     ("cost per million predictions", nil, { (c: NavigatorCandidate) in c.costPerMillion })] as [(String, String?, (NavigatorCandidate) -> Double)] {
            let chart = ParetoChart(title: "\(metricName) against \(xName)",
                                    candidates: points.map { ParetoCandidate(name: $0.1.name, x: value($0.1), y: $0.1.metric) },
                                    x: Axis(xName, unit: unit, scale: .logarithmic), y: Axis(metricName), chosen: chosenPosition,
                                    qualityBar: constraints.minMetric)
            r.addFigure(chart, caption: "Each point is a candidate; the line joins the Pareto frontier (no candidate is both faster/cheaper and better).")
        }
        var table = Table(columns: [.init("Candidate"), .init(metricName, .decimals(4)), .init("p50 µs", .significant(3)),
                                    .init("p99 µs", .significant(3)), .init("records/s", .significant(3)), .init("bytes", .integer),
                                    .init("per million", .significant(3)), .init("threads", .integer), .init("fidelity", .decimals(2)),
                                    .init("chosen")])
        for (i, c) in points {
            table.addRow([.text(c.name), .number(c.metric), .number(c.speed.latencyP50Microseconds), .number(c.speed.latencyP99Microseconds),
                          .number(c.speed.throughput), .number(Double(c.bytes)), .number(c.costPerMillion), .number(Double(c.speed.threads)),
                          .number(c.fidelity), .text(result.choice?.index == i ? "chosen" : "")])
        }
        r.addTable(table)
        if !result.errors.isEmpty {
            r.addHeading("Candidates that failed")
            for (i, e) in result.errors.sorted(by: { $0.key < $1.key }) {
                r.addParagraph("\(i < descriptions.count ? descriptions[i] : "candidate \(i)"): \(e)")
            }
        }
        return r
    }

    /// Lines for people: the table, then the choice.
    public static func lines(_ result: NavigatorSearch.Result, metricName: String) -> [String] {
        var out = ["candidate".padding(toLength: 34, withPad: " ", startingAt: 0)
                   + String(format: "%8@ %10@ %10@ %11@ %9@ %12@ %4@", metricName, "p50 µs", "p99 µs", "records/s", "bytes", "per million", "fid")]
        for (i, c) in result.measured.enumerated() {
            guard let c else { continue }
            let name = c.name.count > 32 ? String(c.name.prefix(31)) + "…" : c.name
            out.append(name.padding(toLength: 34, withPad: " ", startingAt: 0)
                       + String(format: "%8.4f %10.2f %10.2f %11.4g %9d %12.4g %4.2f", c.metric, c.speed.latencyP50Microseconds,
                                c.speed.latencyP99Microseconds, c.speed.throughput, c.bytes, c.costPerMillion, c.fidelity)
                       + (result.choice?.index == i ? "  ← chosen" : ""))
        }
        if let choice = result.choice, let c = result.measured[choice.index] {
            out.append("chosen: \(c.name): \(choice.reason)")
            out += choice.violations.map { "  fails: \($0)" }
        }
        if result.stoppedEarly { out.append("stopped before the search finished: kept what was measured (\(result.measured.compactMap { $0 }.count) candidates)") }
        return out
    }
}
