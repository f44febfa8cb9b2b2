import Foundation
import LeptonIO
#if canImport(Glibc)
import Glibc
#endif

/// An on-disk cache of decoded or preprocessed data (decoded scan tensors…), so that `tune` and
/// repeated `train` runs skip the decoding. Entries are model files (magic, checksum: a damaged
/// entry is a miss, never wrong data) named by a key the caller builds from the input's
/// fingerprint and the preprocessing settings: change either and the key changes. The folder is
/// kept under ``maxBytes`` by removing the least recently used entries (a hit touches its file).
public final class DataCache: @unchecked Sendable {  // used from one thread
    public let directory: String
    public let maxBytes: Int
    public private(set) var hits = 0
    public private(set) var misses = 0
    /// Σ over hits of (the seconds the entry took to build − the seconds it took to load).
    public private(set) var secondsSaved = 0.0

    /// 1 GB by default.
    public init(directory: String, maxBytes: Int = 1 << 30) {
        self.directory = directory
        self.maxBytes = maxBytes
    }

    /// `$LEPTON_CACHE_DIR`, else `$XDG_CACHE_HOME/lepton`, else `~/.cache/lepton`.
    public static var defaultDirectory: String {
        let env = ProcessInfo.processInfo.environment
        if let d = env["LEPTON_CACHE_DIR"], !d.isEmpty { return d }
        if let x = env["XDG_CACHE_HOME"], !x.isEmpty { return x + "/lepton" }
        return NSHomeDirectory() + "/.cache/lepton"
    }

    /// Hit rate over every lookup (NaN before the first).
    public var hitRate: Double { hits + misses > 0 ? Double(hits) / Double(hits + misses) : .nan }

    /// A key from its parts (a 16-hex-digit FNV-1a hash of the parts joined).
    public static func key(_ parts: [String]) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in parts.joined(separator: "\u{1F}").utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// A fingerprint of the files under a folder: each one's path, size and modification time
    /// (not its bytes: a changed file has a new time), sorted.
    public static func folderFingerprint(_ root: String, suffix: String) -> String {
        var parts: [String] = []
        FileWalk.forEachFile(under: root, suffix: suffix) { path in
            var info = stat()
            guard stat(path, &info) == 0 else { return }
            #if os(Linux)
            let time = info.st_mtim
            #else
            let time = info.st_mtimespec
            #endif
            parts.append("\(path)|\(info.st_size)|\(time.tv_sec).\(time.tv_nsec)")
        }
        return key(parts) + ":\(parts.count)"
    }

    /// The contents stored under `key`, or `build()`'s (then stored, and older entries evicted
    /// while the folder is over ``maxBytes``). A cache that cannot be written is skipped, silently:
    /// caching saves time and never changes a result.
    public func contents(key: String, build: () throws -> ModelFileContents) throws -> ModelFileContents {
        if let cached = lookup(key: key) { return cached }
        let t0 = SpeedMeter.now()
        let built = try build()
        store(key: key, built, buildSeconds: SpeedMeter.now() - t0)
        return built
    }

    /// The entry under `key` (a hit), or nil (a miss: absent, damaged or of another key).
    public func lookup(key: String) -> ModelFileContents? {
        let path = "\(directory)/\(key).lepton"
        let t0 = SpeedMeter.now()
        guard let cached = try? ModelFile.read(path: path, expectedKind: "data-cache"), cached.manifest.extra["key"]?.string == key else {
            misses += 1
            return nil
        }
        hits += 1
        secondsSaved += max(0, (cached.manifest.extra["buildSeconds"]?.number ?? 0) - (SpeedMeter.now() - t0))
        utime(path, nil)  // most recently used
        return cached
    }

    /// Stores `contents` under `key` (what building it took is kept, for the seconds a hit saves).
    public func store(key: String, _ contents: ModelFileContents, buildSeconds: Double) {
        var built = contents
        built.manifest.kind = "data-cache"
        built.manifest.extra["key"] = .string(key)
        built.manifest.extra["buildSeconds"] = .double(buildSeconds)
        if (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil,
           (try? ModelFile.write(path: "\(directory)/\(key).lepton", manifest: built.manifest, tensors: built.tensors)) != nil {
            evict()
        }
    }

    /// Removes the least recently modified entries until the folder holds at most ``maxBytes``.
    func evict() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        var entries: [(path: String, size: Int, time: Date)] = names.filter { $0.hasSuffix(".lepton") }.compactMap { name in
            let path = "\(directory)/\(name)"
            guard let a = try? FileManager.default.attributesOfItem(atPath: path), let size = a[.size] as? Int,
                  let time = a[.modificationDate] as? Date else { return nil }
            return (path, size, time)
        }
        var total = entries.reduce(0) { $0 + $1.size }
        entries.sort { $0.time < $1.time }
        for e in entries where total > maxBytes {
            if (try? FileManager.default.removeItem(atPath: e.path)) != nil { total -= e.size }
        }
    }
}
