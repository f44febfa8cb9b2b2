import Foundation

/// Wall-clock seconds of `body`, measured with a monotonic clock.
func secondsTaken<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = try body()
    return (result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}

/// Peak resident set of this process so far, in MB (VmHWM).
func peakResidentMegabytes() -> Double { statusMegabytes("VmHWM:") }

/// Resident set of this process now, in MB (VmRSS).
func residentMegabytes() -> Double { statusMegabytes("VmRSS:") }

/// A kB field of /proc/self/status in MB (0 where there is none).
private func statusMegabytes(_ field: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix(field) {
        return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1024 } ?? 0
    }
    return 0
}

/// Prints one JSON object with the keys sorted.
func printJSON(_ object: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

/// The size of a file in bytes.
func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? 0
}
