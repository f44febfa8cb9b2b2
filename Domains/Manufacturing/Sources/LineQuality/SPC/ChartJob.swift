import Foundation
import LeptonCore
import LeptonIO
import LeptonReport

/// What `lepton-qc chart` reads and how it groups it.
public struct ChartInput: Sendable {
    public var path: String
    /// The measured (or counted) column.
    public var column: String
    /// Consecutive subgroups of this many values (X̄–R, X̄–S; the last one may be smaller).
    public var subgroupSize: Int?
    /// Or: rows with the same value here form a subgroup, in order of first appearance.
    public var subgroupColumn: String?
    /// The sample-size column of p, np and u charts.
    public var sizeColumn: String?
    /// Only rows whose `filter.column` holds `filter.value` (one machine of a multi-machine log).
    public var filter: (column: String, value: String)?
    /// A timestamp column: rows are charted in time order per machine (``TimeSeriesOrder``'s rule).
    public var timestampColumn: String?
    /// The machine column the time order is kept within.
    public var machineColumn: String?

    public init(path: String, column: String) {
        self.path = path
        self.column = column
    }
}

/// A chart run: the subgroups read, the charts, the Phase I estimates and the capability.
public struct ChartJob: Sendable {
    public var settings: ChartSettings
    public var charts: [PlottedChart]
    public var limits: ChartLimits
    public var capability: Capability?
    /// Rows read, and rows left out (missing or non-numeric values), with the first reason.
    public var rowsRead: Int
    public var rowsSkipped: Int
    public var firstSkip: String?
    public var subgroupCount: Int
    /// The time order of a time-series log (with a timestamp column).
    public var order: TimeSeriesOrder?

    /// Reads `input`, groups it and charts it; capability when `lsl` or `usl` is given.
    public static func run(_ input: ChartInput, settings: ChartSettings, lsl: Double? = nil, usl: Double? = nil,
                           target: Double? = nil) throws -> ChartJob {
        if let lsl, let usl, !(lsl < usl) {
            throw DataError("specification limits reversed or equal (LSL \(lsl), USL \(usl))", hint: "give --lsl below --usl.")
        }
        var kinds: [String: TabularTable.Kind] = [input.column: .numeric]
        if let subgroup = input.subgroupColumn { kinds[subgroup] = .text }
        if let size = input.sizeColumn { kinds[size] = .numeric }
        if let filter = input.filter { kinds[filter.column] = .text }
        for name in [input.timestampColumn, input.machineColumn].compactMap({ $0 }) { kinds[name] = .text }
        let table = try TabularTable.read(path: input.path, kinds: kinds)
        let values = try table.column(input.column).numbers
        let sizeValues = try input.sizeColumn.map { try table.column($0).numbers }
        let keys = try input.subgroupColumn.map { try table.column($0).texts }
        let filterValues = try input.filter.map { try table.column($0.column).texts }
        // Rows with a missing value (or size) are left out and counted.
        var skipped = table.rejected.count
        var firstSkip = table.rejected.first.map { "\($0)" }
        var kept: [Int] = []
        for i in 0..<values.count {
            if let filterValues, filterValues[i] != input.filter!.value { continue }
            if values[i].isNaN || (sizeValues?[i].isNaN ?? false) {
                skipped += 1
                if firstSkip == nil { firstSkip = "row \(i + 2): '\(input.column)' or the size is missing" }
            } else {
                kept.append(i)
            }
        }
        var order: TimeSeriesOrder?
        if let timestamp = input.timestampColumn {
            // Without a machine column, the filter's column keeps the machines apart.
            let machine = input.machineColumn ?? input.filter?.column
            let ordered = TimeSeriesOrder(timestamps: try table.column(timestamp).texts,
                                          machines: try machine.map { try table.column($0).texts })
            let keep = Set(kept)
            kept = ordered.rows.filter { keep.contains($0) }
            order = ordered
        }
        guard !kept.isEmpty else {
            throw DataError(file: input.path, field: input.column, message: "no row has a number in this column",
                            hint: "check --column, spelled as in the header (names with brackets as written).")
        }
        var subgroups: [[Double]] = [], sizes: [Double]? = sizeValues == nil ? nil : []
        switch settings.type {
        case .p, .np, .c, .u:
            subgroups = kept.map { [values[$0]] }
            if let sizeValues { sizes = kept.map { sizeValues[$0] } }
        default:
            if let keys {
                var order: [String: Int] = [:]
                for i in kept {
                    if let g = order[keys[i]] { subgroups[g].append(values[i]) } else {
                        order[keys[i]] = subgroups.count
                        subgroups.append([values[i]])
                    }
                }
            } else {
                let size = settings.type == .xbarR || settings.type == .xbarS ? (input.subgroupSize ?? 5) : (input.subgroupSize ?? 1)
                subgroups = stride(from: 0, to: kept.count, by: size).map { start in kept[start..<min(start + size, kept.count)].map { values[$0] } }
            }
        }
        let result: (charts: [PlottedChart], limits: ChartLimits)
        do {
            result = try ControlCharts.compute(subgroups, sizes: sizes, settings: settings)
        } catch let error as ChartError {
            throw DataError(file: input.path, field: input.column, message: error.message, hint: error.hint + ".")
        }
        var job = ChartJob(settings: settings, charts: result.charts, limits: result.limits, capability: nil, rowsRead: table.rowsRead,
                           rowsSkipped: skipped, firstSkip: firstSkip, subgroupCount: subgroups.count, order: order)
        if lsl != nil || usl != nil, let sigma = result.limits.sigma {
            let phase1 = settings.limits == nil ? (settings.phase1 ?? 0..<subgroups.count) : 0..<subgroups.count
            do {
                job.capability = try Capability.compute(values: phase1.flatMap { subgroups[$0] }, center: result.limits.center,
                                                        withinSigma: sigma, lsl: lsl, usl: usl, target: target)
            } catch let error as ChartError {
                throw DataError(file: input.path, field: input.column, message: error.message, hint: error.hint + ".")
            }
        }
        return job
    }

    /// The `--json` fields: `charts` and, with specification limits, `capability`.
    public var jsonFields: [(String, JSONValue)] {
        func limit(_ values: [Double]) -> JSONValue {
            Set(values).count == 1 ? .double(values[0]) : .array(values.map { .double($0) })  // an empty chart gives []
        }
        var fields: [(String, JSONValue)] = [("charts", .array(charts.map { chart in
            var object: [(String, JSONValue)] = [("name", .string(chart.name)), ("center", limit(chart.center)),
                                                 ("lcl", limit(chart.lcl)), ("ucl", limit(chart.ucl)),
                                                 ("points", .array(chart.points.map { .double($0) })),
                                                 ("violations", .array(chart.violations.map { .object([("index", .int($0.index)), ("rule", .int($0.rule))]) }))]
            if let lower = chart.lowerPoints { object.append(("lower_points", .array(lower.map { .double($0) }))) }
            return .object(object)
        }))]
        if let c = capability {
            var object: [(String, JSONValue)] = [("cp", c.cp.map { .double($0) } ?? .null), ("cpk", .double(c.cpk)),
                                                 ("pp", c.pp.map { .double($0) } ?? .null), ("ppk", .double(c.ppk))]
            if let cpm = c.cpm { object.append(("cpm", .double(cpm))) }
            if let i = c.cpInterval { object.append(("cp_interval", .array([.double(i.lowerBound), .double(i.upperBound)]))) }
            object.append(("cpk_interval", .array([.double(c.cpkInterval.lowerBound), .double(c.cpkInterval.upperBound)])))
            object.append(("percentile_pp", c.percentilePp.map { .double($0) } ?? .null))
            object.append(("percentile_ppk", .double(c.percentilePpk)))
            fields.append(("capability", .object(object)))
        }
        fields += [("rules", .string(settings.rules.rawValue)), ("subgroups", .int(subgroupCount)), ("rows_read", .int(rowsRead)),
                   ("rows_skipped", .int(rowsSkipped)), ("sigma", limits.sigma.map { .double($0) } ?? .null)]
        if let order { fields += order.jsonFields }
        return fields
    }

    /// Console lines: each chart's centre, limits and violations; capability.
    public func lines(path: String, column: String) -> [String] {
        func fmt(_ v: [Double]) -> String {
            guard let low = v.min(), let high = v.max() else { return "–" }
            return Set(v).count == 1 ? NumberFormat.value(v[0], significant: 5) : "\(NumberFormat.value(low, significant: 4))…\(NumberFormat.value(high, significant: 4)) (varies)"
        }
        var lines = ["\(path), '\(column)': \(subgroupCount) \(settings.type == .imr || settings.type == .ewma || settings.type == .cusum ? "points" : "subgroups"), \(rowsSkipped) rows left out" + (firstSkip.map { " (first: \($0))" } ?? "")]
        for chart in charts {
            lines.append("\(chart.name): centre \(fmt(chart.center))  LCL \(fmt(chart.lcl))  UCL \(fmt(chart.ucl))  \(chart.violations.count) violations")
            let shown = chart.violations.prefix(10).map { "point \($0.index) rule \($0.rule)" }.joined(separator: ", ")
            if !shown.isEmpty { lines.append("  " + shown + (chart.violations.count > 10 ? ", …" : "")) }
        }
        if let order { lines.append(order.line) }
        if let c = capability {
            let cp = c.cp.map { String(format: "%.3f", $0) } ?? "–", pp = c.pp.map { String(format: "%.3f", $0) } ?? "–"
            lines.append(String(format: "capability: Cp %@  Cpk %.3f (95%% CI %.3f–%.3f)  Pp %@  Ppk %.3f", cp, c.cpk,
                                c.cpkInterval.lowerBound, c.cpkInterval.upperBound, pp, c.ppk))
        }
        return lines
    }

    /// The report: each chart with its limits and violations, and the capability table.
    public func report(title: String, provenance: Provenance, lsl: Double?, usl: Double?) -> Report {
        var r = Report(title: title, provenance: provenance)
        for chart in charts {
            r.addFigure(ControlChart(title: chart.name.uppercased() + " chart", values: chart.points, centerLine: chart.center.last ?? 0,
                                     upperControlLimit: chart.ucl.last, lowerControlLimit: chart.lcl.last,
                                     upperSpecificationLimit: chart.name == "i" || chart.name == "xbar" ? usl : nil,
                                     lowerSpecificationLimit: chart.name == "i" || chart.name == "xbar" ? lsl : nil,
                                     violations: chart.violations.map { .init(index: $0.index - 1, rule: String($0.rule)) }, y: Axis(chart.name)),
                        caption: "\(chart.violations.count) violations of the \(settings.rules.rawValue) rules"
                            + (Set(chart.ucl).count > 1 ? "; the limits vary by point, the last ones are drawn" : "") + ".")
        }
        if let c = capability {
            var table = Table(columns: [.init("Index"), .init("Value", .decimals(3)), .init("95% interval")])
            if let cp = c.cp { table.addRow([.text("Cp"), .number(cp), .text(c.cpInterval.map { String(format: "%.3f–%.3f", $0.lowerBound, $0.upperBound) } ?? "")]) }
            table.addRow([.text("Cpk"), .number(c.cpk), .text(String(format: "%.3f–%.3f", c.cpkInterval.lowerBound, c.cpkInterval.upperBound))])
            if let pp = c.pp { table.addRow([.text("Pp"), .number(pp), .text("")]) }
            table.addRow([.text("Ppk"), .number(c.ppk), .text("")])
            if let cpm = c.cpm { table.addRow([.text("Cpm"), .number(cpm), .text("")]) }
            r.addTable(table)
        }
        return r
    }
}

extension ChartLimits {
    /// Writes the estimates as JSON, atomically.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: path)
    }

    /// Reads estimates written by ``write(to:)`` for a chart of `type`.
    public static func read(path: String, type: ChartType) throws -> ChartLimits {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError(file: path, message: "cannot read the limits file", hint: "give the file written by chart --limits-out.")
        }
        let limits: ChartLimits
        do {
            limits = try JSONDecoder().decode(ChartLimits.self, from: data)
        } catch {
            throw DataError(file: path, message: "not a limits file (\(error))", hint: "give the file written by chart --limits-out.")
        }
        guard limits.type == type else {
            throw DataError(file: path, message: "limits of a \(limits.type.rawValue) chart, not \(type.rawValue)",
                            hint: "chart with --type \(limits.type.rawValue), or estimate \(type.rawValue) limits first.")
        }
        return limits
    }
}
