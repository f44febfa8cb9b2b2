import Foundation
import LeptonIO

/// The bearer token clients must send on every `/v1/` path, read from a file (its first line,
/// blanks trimmed) and compared in constant time.
public struct APIKey: Sendable {
    let key: [UInt8]

    public init(key: String) throws {
        let trimmed = key.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.utf8.count >= 16 else {
            throw DataError("the API key has \(trimmed.utf8.count) characters; at least 16 are needed", hint: "use a long random key, e.g. `openssl rand -hex 32`.")
        }
        self.key = Array(trimmed.utf8)
    }

    /// Reads the key from the first line of `path`.
    public init(file path: String) throws {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw DataError(file: path, message: "cannot read the API key file", hint: "pass a readable text file whose first line is the key.")
        }
        do {
            try self.init(key: String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""))
        } catch let error as DataError {
            throw DataError(file: path, message: error.message, hint: error.hint)
        }
    }

    /// The outcome of checking a request's `Authorization` header.
    public enum Check: Equatable, Sendable { case accepted, missing, wrong }

    /// Checks an `Authorization: Bearer KEY` header value (nil: no header).
    public func check(authorization: String?) -> Check {
        guard let authorization else { return .missing }
        let prefix = "bearer "
        guard authorization.count > prefix.count, authorization.prefix(prefix.count).lowercased() == prefix else { return .missing }
        let offered = Array(authorization.utf8.dropFirst(prefix.utf8.count))
        return Self.constantTimeEqual(offered, key) ? .accepted : .wrong
    }

    /// Whether `a == b`, in a time that depends only on their lengths, not on where they differ.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt64(a.count ^ b.count)
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
            difference |= UInt64(x ^ y)
        }
        return difference == 0
    }
}
