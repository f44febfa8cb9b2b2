#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a text file a line at a time (list files: one path per line), in flat memory.
public enum TextLines {
    /// Calls `body` with each line of `path` (its number from 1 and its text without the line
    /// end; LF, CRLF and CR each end a line; invalid UTF-8 is replaced by U+FFFD). Throws
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
            // getline ends lines at LF only: CR (old Mac files) and CRLF end lines too.
            let raw = UnsafeRawPointer(buffer!).assumingMemoryBound(to: UInt8.self)
            var end = length
            if end > 0, raw[end - 1] == 0x0A { end -= 1 }
            var start = 0
            for k in 0...end where k == end || raw[k] == 0x0D {
                if k == end && start == end && k > 0 && raw[k - 1] == 0x0D { break }  // the CR of a CRLF, or a final CR
                number += 1
                try body(number, String(decoding: UnsafeBufferPointer(start: raw + start, count: k - start), as: UTF8.self))
                start = k + 1
            }
        }
    }
}
