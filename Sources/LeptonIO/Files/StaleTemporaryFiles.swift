#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The hidden files a writer keeps beside its target until it commits (`.NAME.tmp-PID-…` of
/// ``AtomicFile``, `.NAME.partK-PID-…` of a parallel batch job, and `..NAME.partK-PID-….tmp-…`,
/// a part's own temporary file). A run killed before its commit
/// leaves them behind; the next writer of the same target removes those whose process is gone.
public enum StaleTemporaryFiles {
    /// Removes the hidden temporary files of `target` left by processes no longer running.
    /// Returns how many it removed. Files of live processes (another run writing now) are kept.
    /// "Running" is asked of this host's process table (`kill(pid, 0)`): two hosts or containers
    /// writing the same target on a shared folder must not run at once.
    @discardableResult
    public static func remove(besides target: String) -> Int {
        let slash = target.lastIndex(of: "/")
        let folder = slash.map { String(target[..<$0]) } ?? "."
        let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
        let prefixes = [".\(name).tmp-", ".\(name).part", "..\(name).part"]
        guard let dir = opendir(folder.isEmpty ? "/" : folder) else { return 0 }
        var stale: [String] = []
        while let entry = readdir(dir) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let prefix = prefixes.first(where: { entryName.hasPrefix($0) }) else { continue }
            // `.NAME.tmp-PID-…` or `.NAME.partK-PID-…`: the first number after the prefix's dash.
            var rest = entryName.dropFirst(prefix.count)
            if prefix.hasSuffix(".part") { rest = rest.drop { $0.isNumber }.dropFirst() }
            guard let pid = Int32(rest.prefix { $0.isNumber }), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { stale.append(folder + "/" + entryName) }
        }
        closedir(dir)
        return stale.reduce(0) { $0 + (unlink($1) == 0 ? 1 : 0) }
    }
}
