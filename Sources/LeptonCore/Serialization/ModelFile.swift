import Foundation
import LeptonIO

/// The manifest of a model file: what the model is and how it was made. Shared by every kind
/// of model in the project (neural networks, gradient-boosted trees, logistic regression…);
/// kind-specific settings go in ``extra``.
public struct ModelManifest: Codable, Sendable, Equatable {
    /// What reads this file, e.g. `"neural-network"`, `"gradient-boosted-trees"`.
    public var kind: String
    /// Architecture or algorithm name within the kind (e.g. `"resnet18"`).
    public var architecture: String?
    /// Application domain (`"credit"`, `"imaging"`, `"manufacturing"`), if any.
    public var domain: String?
    /// Per-sample input shape, e.g. [1, 28, 28] or [F].
    public var inputShape: [Int]
    /// Preprocessing the inputs need before prediction (normalisation constants, feature schema…).
    public var preprocessing: [String: JSONValue]
    public var classNames: [String]
    /// Metrics measured at training time.
    public var metrics: [String: Double]
    /// A fingerprint of the training data (e.g. ``Tensor/fingerprint()``).
    public var trainingDataFingerprint: String?
    public var seed: UInt64?
    /// ISO-8601 creation time.
    public var createdAt: String
    public var toolVersion: String
    /// Kind-specific settings.
    public var extra: [String: JSONValue]
    /// How the model was made (absent in files written before it was recorded).
    public var provenance: RunProvenance?

    public init(kind: String, architecture: String? = nil, domain: String? = nil, inputShape: [Int] = [],
                preprocessing: [String: JSONValue] = [:], classNames: [String] = [], metrics: [String: Double] = [:],
                trainingDataFingerprint: String? = nil, seed: UInt64? = nil,
                createdAt: String = ISO8601DateFormatter().string(from: Date()),
                toolVersion: String = LeptonVersion.string, extra: [String: JSONValue] = [:]) {
        self.kind = kind; self.architecture = architecture; self.domain = domain; self.inputShape = inputShape
        self.preprocessing = preprocessing; self.classNames = classNames; self.metrics = metrics
        self.trainingDataFingerprint = trainingDataFingerprint; self.seed = seed; self.createdAt = createdAt
        self.toolVersion = toolVersion; self.extra = extra
    }
}

/// Why a model file could not be read or written. Every malformed input ends here — never a
/// crash, never an allocation larger than the file itself.
public enum ModelFileError: Error, Equatable, CustomStringConvertible {
    case notAModelFile(path: String)
    case unsupportedVersion(major: UInt16, minor: UInt16, supported: UInt16)
    case truncated(path: String, expected: UInt64, actual: UInt64)
    case checksumMismatch(path: String)
    case wrongKind(path: String, expected: String, found: String)
    case malformed(path: String, reason: String)
    case io(String)

    public var description: String {
        switch self {
        case .notAModelFile(let p): return "\(p) is not a Lepton model file (bad magic)"
        case .unsupportedVersion(let major, let minor, let s):
            return "model file format \(major).\(minor) is not supported (this tool reads major versions 1 to \(s)); upgrade Lepton"
        case .truncated(let p, let e, let a): return "\(p) is truncated: \(a) bytes, the header declares \(e)"
        case .checksumMismatch(let p): return "\(p) is corrupted: checksum mismatch"
        case .wrongKind(let p, let e, let f): return "\(p) holds a '\(f)' model, expected '\(e)'"
        case .malformed(let p, let r): return "\(p) is malformed: \(r)"
        case .io(let m): return m
        }
    }
}

/// The decoded contents of a model file.
public struct ModelFileContents: Sendable {
    public var manifest: ModelManifest
    /// Named tensors in file order.
    public var tensors: [(name: String, tensor: Tensor)]
    /// Tensors by name.
    public init(manifest: ModelManifest, tensors: [(name: String, tensor: Tensor)]) {
        self.manifest = manifest
        self.tensors = tensors
    }

    /// The bytes of the model file (``ModelFile/encode(manifest:tensors:)``).
    public func encoded() throws -> [UInt8] { try ModelFile.encode(manifest: manifest, tensors: tensors) }

    public var tensorsByName: [String: Tensor] {
        Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    }
}

/// The one model file format of the project.
///
/// Layout (little-endian):
/// ```
/// 0   magic "LEPTON\0\0"                 8 bytes
/// 8   major version u16, minor u16, reserved u32 (0)
/// 16  total file length u64 (including the checksum)
/// 24  manifest length M u64
/// 32  manifest: UTF-8 JSON (M bytes)
///     tensor count u32
///     per tensor: name length u32, name UTF-8, rank u32, dims u64 × rank, values f32 × Π dims
/// end CRC-32 (IEEE) of every preceding byte, u32
/// ```
/// Readers check magic, then major version, then the declared length (truncation), then the
/// checksum, and only then parse — every length is checked against the bytes that remain.
public enum ModelFile {
    public static let magic: [UInt8] = Array("LEPTON".utf8) + [0, 0]
    /// The newest major version this reader reads. Version 2 files hold compressed models
    /// (the manifest has `extra.compression`: packed tensors a version-1 reader would misread),
    /// so a version-1 reader refuses them with a version error; version 3 files hold int8
    /// networks whose codes are block-major (`extra.compression.weightLayout`), which a version-2
    /// reader would read in the earlier tap-major order; every other file is version 1.
    public static let majorVersion: UInt16 = 3
    /// The oldest major version this reader reads.
    public static let oldestMajorVersion: UInt16 = 1
    public static let minorVersion: UInt16 = 0

    /// The major version a file with this manifest is written with.
    static func majorVersion(for manifest: ModelManifest) -> UInt16 {
        guard let compression = manifest.extra["compression"] else { return 1 }
        return compression["weightLayout"]?.string == Int8WeightLayout.blockMajor.rawValue ? 3 : 2
    }
    static let headerSize = 32

    /// Serialises a manifest and named tensors to bytes.
    public static func encode(manifest: ModelManifest, tensors: [(name: String, tensor: Tensor)]) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = Array(try encoder.encode(manifest))
        var out: [UInt8] = []
        out.reserveCapacity(headerSize + json.count + tensors.reduce(64) { $0 + 64 + $1.name.utf8.count + 4 * $1.tensor.count })
        out += magic
        append(&out, majorVersion(for: manifest)); append(&out, minorVersion); append(&out, UInt32(0))
        append(&out, UInt64(0))  // total length, patched below
        append(&out, UInt64(json.count))
        out += json
        append(&out, UInt32(tensors.count))
        for (name, t) in tensors {
            let nameBytes = Array(name.utf8)
            append(&out, UInt32(nameBytes.count)); out += nameBytes
            append(&out, UInt32(t.rank))
            for d in t.shape { append(&out, UInt64(d)) }
            t.withUnsafeBufferPointer { p in
                #if _endian(little)
                out.append(contentsOf: UnsafeRawBufferPointer(p))
                #else
                for v in p { append(&out, v.bitPattern) }
                #endif
            }
        }
        let total = UInt64(out.count + 4)
        withUnsafeBytes(of: total.littleEndian) { raw in for (i, b) in raw.enumerated() { out[16 + i] = b } }
        append(&out, CRC32.checksum(out[...]))
        return out
    }

    /// Parses bytes produced by ``encode(manifest:tensors:)``; `path` is used in error messages.
    /// `readerMajorVersion` stands for an older reader in tests (a reader of version 1 must refuse
    /// a version-2 file with a clear error).
    public static func decode(_ bytes: [UInt8], path: String = "<memory>", expectedKind: String? = nil,
                              readerMajorVersion: UInt16 = majorVersion) throws -> ModelFileContents {
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw ModelFileError.notAModelFile(path: path)
        }
        var r = ByteReader(bytes: bytes, path: path, position: 8)
        guard bytes.count >= headerSize + 4 else {
            throw ModelFileError.truncated(path: path, expected: UInt64(headerSize + 4), actual: UInt64(bytes.count))
        }
        let major: UInt16 = try r.read(), minor: UInt16 = try r.read()
        guard major >= oldestMajorVersion, major <= readerMajorVersion else {
            throw ModelFileError.unsupportedVersion(major: major, minor: minor, supported: readerMajorVersion)
        }
        _ = try r.read() as UInt32
        let total: UInt64 = try r.read()
        guard total == UInt64(bytes.count) else {
            if total > UInt64(bytes.count) {
                throw ModelFileError.truncated(path: path, expected: total, actual: UInt64(bytes.count))
            }
            throw ModelFileError.malformed(path: path, reason: "\(UInt64(bytes.count) - total) unexpected bytes after the end")
        }
        let body = bytes[0..<(bytes.count - 4)]
        var stored: UInt32 = 0
        for i in 0..<4 { stored |= UInt32(bytes[bytes.count - 4 + i]) << (8 * i) }
        guard CRC32.checksum(body) == stored else { throw ModelFileError.checksumMismatch(path: path) }
        r.end = bytes.count - 4

        let manifestLength = try r.length(try r.read() as UInt64, elementSize: 1, what: "manifest")
        let manifestBytes = try r.bytes(manifestLength)
        let manifest: ModelManifest
        do {
            manifest = try JSONDecoder().decode(ModelManifest.self, from: Data(manifestBytes))
        } catch {
            throw ModelFileError.malformed(path: path, reason: "manifest is not valid JSON: \(error)")
        }
        if let expectedKind, manifest.kind != expectedKind {
            throw ModelFileError.wrongKind(path: path, expected: expectedKind, found: manifest.kind)
        }
        // Each tensor needs at least 8 bytes of header: a count above that is malformed.
        let count = try r.length(UInt64(try r.read() as UInt32), elementSize: 8, what: "tensor table")
        var tensors: [(name: String, tensor: Tensor)] = []
        for _ in 0..<count {
            let nameLength = try r.length(UInt64(try r.read() as UInt32), elementSize: 1, what: "tensor name")
            guard let name = String(validating: try r.bytes(nameLength), as: UTF8.self) else {
                throw ModelFileError.malformed(path: path, reason: "tensor name is not UTF-8")
            }
            let rank = try r.length(UInt64(try r.read() as UInt32), elementSize: 8, what: "shape of '\(name)'")
            var shape: [Int] = []
            var elements: UInt64 = 1
            for _ in 0..<rank {
                let d: UInt64 = try r.read()
                let (product, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow, d <= UInt64(Int.max) else {
                    throw ModelFileError.malformed(path: path, reason: "tensor '\(name)' has an impossible shape")
                }
                elements = product
                shape.append(Int(d))
            }
            let n = try r.length(elements, elementSize: 4, what: "values of '\(name)'")
            let raw = try r.bytes(n * 4)
            var values = [Float](repeating: 0, count: n)
            values.withUnsafeMutableBytes { dst in
                raw.withUnsafeBytes { src in
                    // Safe: `raw` holds exactly n·4 bytes (checked by `length`), `dst` n floats.
                    dst.copyMemory(from: src)
                }
            }
            #if !_endian(little)
            for i in 0..<n { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
            #endif
            tensors.append((name, Tensor(shape: shape, scalars: values)))
        }
        guard r.position == r.end else {
            throw ModelFileError.malformed(path: path, reason: "\(r.end - r.position) unexplained bytes before the checksum")
        }
        return ModelFileContents(manifest: manifest, tensors: tensors)
    }

    /// Writes a model file atomically (temporary file beside `path`, fsync, rename).
    public static func write(path: String, manifest: ModelManifest, tensors: [(name: String, tensor: Tensor)]) throws {
        try AtomicFile.write(try encode(manifest: manifest, tensors: tensors), to: path)
    }

    /// Reads and validates a model file; `expectedKind` rejects a model of another kind.
    public static func read(path: String, expectedKind: String? = nil) throws -> ModelFileContents {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError.io("cannot read \(path)")
        }
        return try decode(Array(data), path: path, expectedKind: expectedKind)
    }

    private static func append<T: FixedWidthInteger>(_ out: inout [UInt8], _ v: T) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }
}

/// Bounds-checked little-endian reader: every read and every declared length is checked
/// against the bytes that remain, so a corrupted length cannot trigger a huge allocation.
struct ByteReader {
    let bytes: [UInt8]
    let path: String
    var position: Int
    var end: Int

    init(bytes: [UInt8], path: String, position: Int) {
        self.bytes = bytes
        self.path = path
        self.position = position
        self.end = bytes.count
    }

    mutating func read<T: FixedWidthInteger>() throws -> T {
        let size = MemoryLayout<T>.size
        guard end - position >= size else { throw ModelFileError.malformed(path: path, reason: "unexpected end of data") }
        var v: T = 0
        for i in 0..<size { v |= T(bytes[position + i]) << (8 * i) }
        position += size
        return v
    }

    /// Validates that `count` elements of `elementSize` bytes can still be present.
    func length(_ count: UInt64, elementSize: Int, what: String) throws -> Int {
        let remaining = UInt64(end - position)
        guard count <= remaining / UInt64(elementSize) else {
            throw ModelFileError.malformed(path: path, reason: "\(what) declares \(count) entries, more than the file holds")
        }
        return Int(count)
    }

    mutating func bytes(_ count: Int) throws -> ArraySlice<UInt8> {
        guard end - position >= count else { throw ModelFileError.malformed(path: path, reason: "unexpected end of data") }
        defer { position += count }
        return bytes[position..<(position + count)]
    }
}

/// CRC-32 (IEEE 802.3, the zlib/PNG polynomial), table-driven.
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32 of `bytes` (`checksum("123456789".utf8) == 0xCBF43926`).
    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        if let fast = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0)) }) { return fast }
        return Array(bytes).withUnsafeBytes { checksum($0) }
    }

    /// The CRC-32 of raw bytes (slicing-by-4 over the table for speed).
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        tables.withUnsafeBufferPointer { t in
            var i = 0
            let n = bytes.count
            while i + 4 <= n {
                crc ^= UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
                crc = t[768 + Int(crc & 0xFF)] ^ t[512 + Int((crc >> 8) & 0xFF)]
                    ^ t[256 + Int((crc >> 16) & 0xFF)] ^ t[Int(crc >> 24)]
                i += 4
            }
            while i < n {
                crc = t[Int((crc ^ UInt32(bytes[i])) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// Four 256-entry tables: T0 is the classic table, Tk[i] = (Tk−1[i] >> 8) ^ T0[Tk−1[i] & 0xFF].
    static let tables: [UInt32] = {
        var t = table
        for k in 1..<4 {
            for i in 0..<256 {
                let prev = t[(k - 1) * 256 + i]
                t.append((prev >> 8) ^ table[Int(prev & 0xFF)])
            }
        }
        return t
    }()
}

extension Tensor {
    /// A stable 64-bit FNV-1a fingerprint of shape and values, as 16 hex digits (for manifests:
    /// "was this model trained on these data?").
    public func fingerprint() -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ v: UInt64) {
            for i in 0..<8 { h = (h ^ ((v >> (8 * UInt64(i))) & 0xFF)) &* 0x100_0000_01B3 }
        }
        for d in shape { mix(UInt64(d)) }
        withUnsafeBufferPointer { p in for v in p { mix(UInt64(v.bitPattern)) } }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
