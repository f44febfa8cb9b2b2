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
}
