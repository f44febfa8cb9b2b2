import LeptonReport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LeptonIO

/// Progress of long work (training epochs, batch scoring, tuning) on standard error: a
/// redrawn line with rate and time remaining when standard error is a terminal, plain log
/// lines every few seconds otherwise (so that log files stay readable), nothing with `--quiet`.
///
/// Safe to update from several threads.
public final class Progress: @unchecked Sendable {
    /// How progress is shown.
    public enum Mode: Sendable, Equatable {
        /// One line redrawn in place at most ten times a second.
        case terminal
        /// A log line at most every `every` seconds.
        case log(every: Double)
        /// Nothing.
        case silent
    }

    public let task: String
    public let unit: String
    public let mode: Mode
    private let total: Int?
    private let sink: @Sendable (String) -> Void
    private let clock: @Sendable () -> Double
    private let lock = Lock()
    private let start: Double
    private var items = 0
    private var fraction: Double?
    private var lastShown: Double
    private var drewLine = false
    private var finished = false
    /// For a part's progress: the whole job's, and this part's slot in it.
    private var parent: (progress: Progress, slot: Int, weight: Double)?
    /// For a job run in parts: each part's items and fraction done.
    private var partItems: [Int] = []
    private var partFractions: [Double] = []

    /// - Parameters:
    ///   - task: what is being done ("scoring", "training").
    ///   - unit: what is counted ("rows", "epochs").
    ///   - total: how many there will be, when known (for the percentage and time remaining).
    ///   - sink: where lines go (standard error by default).
    ///   - clock: seconds on a monotonic clock (tests pass a fake one).
    public init(_ task: String, unit: String, total: Int? = nil, mode: Mode,
                sink: (@Sendable (String) -> Void)? = nil, clock: (@Sendable () -> Double)? = nil) {
        self.task = task
        self.unit = unit
        self.total = total
        self.mode = mode
        self.sink = sink ?? { StandardError.write($0) }
        self.clock = clock ?? Progress.monotonicSeconds
        start = self.clock()
        lastShown = start
    }

    /// `count` progress reporters for the parts of this job, part k standing for `weights[k]`
    /// of the work (its share of the bytes): their updates add up here; their `finish` is a
    /// no-op (finish this one when the job is done).
    public func parts(weights: [Double]) -> [Progress] {
        let total = max(weights.reduce(0, +), 1e-300)
        lock.withLock {
            partItems = [Int](repeating: 0, count: weights.count)
            partFractions = [Double](repeating: 0, count: weights.count)
        }
        return weights.enumerated().map { k, weight in
            let part = Progress(task, unit: unit, mode: .silent, sink: { _ in }, clock: clock)
            part.parent = (self, k, weight / total)
            return part
        }
    }

    /// Records part `slot`'s state and shows the sum.
    private func updatePart(_ slot: Int, items: Int, fraction: Double?, weight: Double) {
        lock.withLock {
            partItems[slot] = items
            if let fraction { partFractions[slot] = min(max(fraction, 0), 1) * weight }
            self.items = partItems.reduce(0, +)
            self.fraction = partFractions.reduce(0, +)
            showIfDue()
        }
    }

    /// Counts `n` more items done.
    public func advance(by n: Int = 1) {
        lock.withLock {
            items += n
            showIfDue()
        }
    }

    /// Sets the items done and, when the item total is unknown, the fraction of the work done
    /// (a batch job knows how far it is through its bytes, not how many rows are left).
    public func update(items: Int, fraction: Double? = nil) {
        if let parent { return parent.progress.updatePart(parent.slot, items: items, fraction: fraction, weight: parent.weight) }
        lock.withLock {
            self.items = items
            if let fraction { self.fraction = min(max(fraction, 0), 1) }
            showIfDue()
        }
    }

    /// Ends the progress display: a terminal line is completed with its final state and a newline;
    /// in log mode a last line is written when work took longer than one interval.
    public func finish() {
        if parent != nil { return }
        lock.withLock {
            guard !finished else { return }
            finished = true
            switch mode {
            case .silent:
                break
            case .terminal:
                if drewLine { sink("\r\u{1B}[K" + line(now: clock(), final: true) + "\n") }
            case let .log(every):
                if clock() - start >= every { sink(line(now: clock(), final: true) + "\n") }
            }
        }
    }

    /// The current status line (without control characters), for tests and summaries.
    public var statusLine: String { lock.withLock { line(now: clock(), final: false) } }

    private func showIfDue() {
        guard !finished else { return }
        let now = clock()
        switch mode {
        case .silent:
            return
        case .terminal:
            guard now - lastShown >= 0.1 else { return }
            lastShown = now
            drewLine = true
            sink("\r\u{1B}[K" + line(now: now, final: false))
        case let .log(every):
            guard now - lastShown >= every else { return }
            lastShown = now
            sink(line(now: now, final: false) + "\n")
        }
    }

    private func currentFraction() -> Double? {
        if let total, total > 0 { return min(Double(items) / Double(total), 1) }
        return fraction
    }

    private func line(now: Double, final: Bool) -> String {
        let elapsed = max(now - start, 1e-9)
        var text = "\(task): \(NumberFormatting.integer(items))"
        if let total { text += "/\(NumberFormatting.integer(total))" }
        text += " \(unit)"
        let f = currentFraction()
        if let f { text += " (\(NumberFormatting.fixed(f * 100, decimals: 0))%)" }
        let rate = Double(items) / elapsed
        text += ", \(NumberFormatting.rate(rate)) \(unit)/s"
        if final {
            text += ", done in \(NumberFormatting.duration(elapsed))"
        } else if let f, f > 0, f < 1 {
            text += ", about \(NumberFormatting.duration(elapsed * (1 - f) / f)) left"
        }
        return text
    }

    /// Seconds since an arbitrary start, from the monotonic clock.
    @Sendable public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

/// Number formatting for console lines: LeptonReport's ``NumberFormat`` in ASCII, plus rates and durations.
enum NumberFormatting {
    static func integer(_ n: Int) -> String { NumberFormat.integer(n, ascii: true) }

    static func fixed(_ value: Double, decimals: Int) -> String { NumberFormat.fixed(value, decimals: decimals, ascii: true) }

    /// A rate with sensible precision: `0.25`, `12.5`, `1,234`.
    static func rate(_ r: Double) -> String {
        r >= 100 ? integer(Int(r.rounded())) : fixed(r, decimals: r >= 10 ? 1 : 2)
    }

    /// `42 s`, `3 min 05 s`, `2 h 07 min`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60 < 10 ? "0" : "")\(s % 60) s" }
        let m = (s % 3600) / 60
        return "\(s / 3600) h \(m < 10 ? "0" : "")\(m) min"
    }
}
