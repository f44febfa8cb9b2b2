#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if os(Linux)
private let RUSAGE_SELF_WHO = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
private let RUSAGE_SELF_WHO = RUSAGE_SELF
#endif

/// The process's peak memory (`getrusage`: the largest resident set so far).
public enum PeakMemory {
    /// Peak resident set size in MB (10⁶ bytes); Linux reports kilobytes.
    public static var residentMegabytes: Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF_WHO, &usage) == 0 else { return .nan }
        #if os(Linux)
        return Double(usage.ru_maxrss) * 1024 / 1e6
        #else
        return Double(usage.ru_maxrss) / 1e6
        #endif
    }

    /// Starts a new peak (Linux: writing 5 to `/proc/self/clear_refs` resets the high-water mark
    /// `VmHWM` to the current resident set; ``residentMegabytes``, getrusage's maximum, is reset
    /// with it, so a caller that wants the whole run's peak reads it before). True only when the reset took effect — afterwards
    /// `VmHWM` is within 2 MB of `VmRSS` — so a kernel or sandbox that accepts the write but keeps
    /// the old mark (gVisor does) is reported, not trusted; false where it is not possible.
    @discardableResult
    public static func resetPeak() -> Bool {
        #if os(Linux)
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        var five: UInt8 = 0x35
        let wrote = write(fd, &five, 1) == 1
        close(fd)
        // Both read from one snapshot of the status file, so no other thread's frees come between.
        let fields = statusMegabytes(["VmHWM:", "VmRSS:"])
        guard wrote, let peak = fields[0], let resident = fields[1] else { return false }
        return peak <= resident + 2
        #else
        return false
        #endif
    }

    /// The peak resident set since the last ``resetPeak()`` in MB (Linux `VmHWM`); nil elsewhere.
    public static var residentMegabytesSinceReset: Double? {
        #if os(Linux)
        return statusMegabytes(["VmHWM:"])[0]
        #else
        return nil
        #endif
    }

    /// Kilobyte fields of `/proc/self/status` (such as `VmHWM:` or `VmRSS:`) in MB, from one
    /// read of the file; nil for a field that is absent.
    private static func statusMegabytes(_ fields: [String]) -> [Double?] {
        var values = [Double?](repeating: nil, count: fields.count)
        guard let file = fopen("/proc/self/status", "r") else { return values }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            for (k, field) in fields.enumerated() where text.hasPrefix(field) {
                let kilobytes = text.dropFirst(field.count).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { Double($0) }
                values[k] = kilobytes.map { $0 * 1024 / 1e6 }
            }
        }
        return values
    }
}
