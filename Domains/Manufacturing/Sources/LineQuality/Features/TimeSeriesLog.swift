import Foundation
import LeptonIO

/// The time order of a sensor log (timestamp, optional machine or line id, readings), by a stated rule:
///
/// - Timestamps are ISO 8601 (`2026-01-01T08:00:00Z`, with an offset, with fractional seconds, or
///   `2026-01-01 08:00:00` taken as UTC) or epoch numbers (seconds; milliseconds above 10¹¹).
///   A row whose timestamp is neither is left out and counted (`unparseable`).
/// - Each machine's rows are put in time order (a stable sort, counted as `outOfOrder` rows that
///   came after a later one); a row with the same machine and timestamp as an earlier one is a
///   duplicate: the first is kept, the others left out and counted.
/// - Gaps — intervals longer than 1.5 times the machine's median interval — are counted, not filled.
/// - Missing readings stay missing (the charts leave them out, the models take them as missing).
public struct TimeSeriesOrder: Sendable {
    /// Row indices (into the table) in the order to use: by machine (first appearance), then time.
    public var rows: [Int]
    /// Seconds since 1970 of each table row (NaN when unparseable).
    public var times: [Double]
    /// The machine of each table row ("" without a machine column).
    public var machines: [String]
    public var unparseable: Int
    public var outOfOrder: Int
    public var duplicates: Int
    public var gaps: Int

    /// Orders the rows of `timestamps` (and `machines`, when given).
    public init(timestamps: [String], machines: [String]?) {
        let machineOf = machines ?? Array(repeating: "", count: timestamps.count)
        self.machines = machineOf
        let formatters = Self.formatters()
        let times = timestamps.map { Self.parse($0, formatters) ?? .nan }
        self.times = times
        var unparseable = 0, outOfOrder = 0, duplicates = 0, gaps = 0
        var groups: [String: [Int]] = [:], order: [String] = []
        for i in times.indices {
            guard !times[i].isNaN else { unparseable += 1; continue }
            if groups[machineOf[i]] == nil { order.append(machineOf[i]) }
            groups[machineOf[i], default: []].append(i)
        }
        var result: [Int] = []
        for machine in order {
            let indices = groups[machine]!
            var latest = -Double.infinity
            for i in indices {
                if times[i] < latest { outOfOrder += 1 }
                latest = max(latest, times[i])
            }
            let sorted = indices.enumerated().sorted { a, b in
                times[a.element] != times[b.element] ? times[a.element] < times[b.element] : a.offset < b.offset
            }.map(\.element)
            var kept: [Int] = []
            for i in sorted {
                if let last = kept.last, times[last] == times[i] { duplicates += 1 } else { kept.append(i) }
            }
            let intervals = zip(kept, kept.dropFirst()).map { times[$1] - times[$0] }.sorted()
            if !intervals.isEmpty {
                let median = intervals[intervals.count / 2]
                gaps += intervals.filter { $0 > 1.5 * median }.count
            }
            result += kept
        }
        rows = result
        (self.unparseable, self.outOfOrder, self.duplicates, self.gaps) = (unparseable, outOfOrder, duplicates, gaps)
    }

    /// The two ISO 8601 parsers ``parse(_:_:)`` uses (made once per log: they are costly to create).
    static func formatters() -> (plain: ISO8601DateFormatter, fractional: ISO8601DateFormatter) {
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return (ISO8601DateFormatter(), fractional)
    }

    /// Seconds since 1970 of an ISO 8601 or epoch timestamp, or nil.
    public static func parse(_ text: String) -> Double? { parse(text, formatters()) }

    static func parse(_ text: String, _ formatters: (plain: ISO8601DateFormatter, fractional: ISO8601DateFormatter)) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { return nil }
        if let number = Double(t), number.isFinite { return number > 1e11 ? number / 1000 : number }
        var candidate = t.replacingOccurrences(of: " ", with: "T")
        // No zone (nothing after the seconds but a fraction): UTC.
        if candidate.count >= 19, !candidate.hasSuffix("Z"), !candidate.dropFirst(19).contains(where: { $0 == "+" || $0 == "-" }) { candidate += "Z" }
        if let date = formatters.plain.date(from: candidate) { return date.timeIntervalSince1970 }
        return formatters.fractional.date(from: candidate)?.timeIntervalSince1970
    }

    /// The counts as `--json` fields.
    public var jsonFields: [(String, JSONValue)] {
        [("time_order", .object([("unparseable", .int(unparseable)), ("out_of_order", .int(outOfOrder)), ("duplicates", .int(duplicates)),
                                 ("gaps", .int(gaps))]))]
    }

    /// A line for people.
    public var line: String {
        "time order: \(outOfOrder) rows out of order (sorted), \(duplicates) duplicate timestamps (first kept), \(gaps) gaps (counted, not filled), \(unparseable) unparseable timestamps (left out)"
    }
}

/// Detection lead time on a time-series log: for each failure episode (a run of positive rows of
/// one machine), how long before its start the first alarm came, looking back at most `horizon`
/// seconds (or to the machine's previous episode). A negative lead is a delay: the first alarm
/// came during the episode. Episodes without an alarm in that window or during them are missed.
public struct DetectionLeadTime: Sendable, Equatable {
    public var episodes: Int
    public var detected: Int
    /// Lead times in seconds of the detected episodes (negative: detected late, during the episode).
    public var leads: [Double]

    public var medianLead: Double? {
        guard !leads.isEmpty else { return nil }
        let sorted = leads.sorted(), m = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2
    }

    /// From rows in time order per machine (``TimeSeriesOrder/rows``), their labels (1 = failure) and alarms.
    public init(order: TimeSeriesOrder, labels: [Double], alarms: [Bool], horizon: Double) {
        var episodes = 0, detected = 0, leads: [Double] = []
        var k = 0
        let rows = order.rows
        while k < rows.count {
            let machine = order.machines[rows[k]]
            var end = k
            while end < rows.count, order.machines[rows[end]] == machine { end += 1 }
            var previousEnd = -Double.infinity
            var i = k
            while i < end {
                guard labels[rows[i]] == 1 else { i += 1; continue }
                let start = order.times[rows[i]]
                var j = i
                while j < end, labels[rows[j]] == 1 { j += 1 }
                episodes += 1
                let windowStart = max(start - horizon, previousEnd)
                let firstAlarm = (k..<j).first { order.times[rows[$0]] >= windowStart && order.times[rows[$0]] > previousEnd && alarms[rows[$0]] }
                if let a = firstAlarm {
                    detected += 1
                    leads.append(start - order.times[rows[a]])
                }
                previousEnd = order.times[rows[j - 1]]
                i = j
            }
            k = end
        }
        (self.episodes, self.detected, self.leads) = (episodes, detected, leads)
    }
}
