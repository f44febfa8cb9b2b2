#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a text file a line at a time (list files: one path per line), in flat memory.
public enum TextLines {
    /// Calls `body` with each line of `path` (its number from 1 and its text without the line
    /// end; CRLF and LF both end a line; invalid UTF-8 is replaced by U+FFFD). Throws
    /// ``DataError`` when the file cannot be opened or read.
    public static func forEach(path: String, _ body: (_ number: Int, _ line: String) throws -> Void) throws {
        guard let file = fopen(path, "r") else {
            throw DataError(file: path, message: "cannot open (\(String(cString: strerror(errno))))", hint: "check the path and its permissions.")
        }
        defer { fclose(file) }
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        var number = 0
        while true {
            let length = getline(&buffer, &capacity, file)
            if length < 0 {
                if ferror(file) != 0 {
                    throw DataError(file: path, row: number + 1, message: "read failed", hint: "is the disk or network share still there?")
                }
                return
            }
            number += 1
            var end = length
            let raw = UnsafeRawPointer(buffer!).assumingMemoryBound(to: UInt8.self)
            while end > 0, raw[end - 1] == 0x0A || raw[end - 1] == 0x0D { end -= 1 }
            try body(number, String(decoding: UnsafeBufferPointer(start: raw, count: end), as: UTF8.self))
        }
    }
}
