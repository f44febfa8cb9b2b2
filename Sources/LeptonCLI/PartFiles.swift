import Foundation
import LeptonIO

/// The hidden part files of a parallel batch job (`.<output>.part<k>-<pid>-<time>.csv` and its
/// rejects, beside the output) and their join into the final files.
struct PartFiles {
    let outputs: [String]
    let rejects: [String]

    init(output: String, count: Int) {
        StaleTemporaryFiles.remove(besides: output)
        let folder = (output as NSString).deletingLastPathComponent
        let base = (output as NSString).lastPathComponent
        let token = "\(getpid())-\(UInt64(Date().timeIntervalSince1970 * 1e6))-\(UInt32.random(in: 0...UInt32.max))"
        let prefix = "\(folder.isEmpty ? "." : folder)/.\(base).part"
        outputs = (0..<count).map { "\(prefix)\($0)-\(token).csv" }
        rejects = (0..<count).map { "\(prefix)\($0)-\(token).rejects.csv" }
    }

    /// Removes every part file (whether or not it was written).
    func remove() {
        for path in outputs + rejects { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Joins the parts into `output` and `rejects`, committing both only once both are complete.
    /// Part p's reject row numbers (and, with `shiftFirstField`, its output's first field) get
    /// `offsets[p]` added.
    func join(into output: String, rejects rejectsPath: String, offsets: [Int], shiftFirstField: Bool) throws {
        let joined = try Self.concatenate(outputs, into: output, firstFieldOffsets: shiftFirstField ? offsets : nil)
        let rejectsFile: CSVWriter
        do {
            rejectsFile = try Self.mergeRejects(rejects, offsets: offsets, into: rejectsPath)
        } catch {
            joined.abandon()
            throw error
        }
        do {
            try joined.commit()
            try rejectsFile.commit()
        } catch {
            rejectsFile.abandon()
            throw error
        }
    }

    /// Joins the parts' rejects files into a writer for `path` (committed by the caller), adding
    /// `offsets[p]` to the row numbers of part p. The `row` column is the one ``BatchJob`` names
    /// (`row`, or `_row`… when the input has a `row` column): second to last.
    static func mergeRejects(_ parts: [String], offsets: [Int], into path: String) throws -> CSVWriter {
        let writer = try CSVWriter(path: path)
        // The parts were written by CSVWriter from whole records, so they read back exactly; no
        // size limit (a malformed record's surplus fields, joined into its last one, can be long).
        var options = CSVOptions()
        options.maxFieldBytes = 1 << 50
        options.maxRowBytes = 1 << 50
        options.maxColumns = .max  // the input's columns passed its own check; the rejects add two
        do {
            for (p, part) in parts.enumerated() {
                let reader = try CSVReader(path: part, options: options)
                if p == 0 { try writer.writeRow(reader.columns) }
                let rowColumn = reader.columns.count - 2
                try reader.forEachRow { row in
                    guard row.problem == nil, row.count == reader.columns.count else {
                        throw DataError(file: part, row: row.number, message: "a part's rejects file does not read back",
                                        hint: "the output folder was changed while the job ran; run it again.")
                    }
                    var fields = row.rawFields
                    if offsets[p] != 0, let relative = Int(fields[rowColumn]) { fields[rowColumn] = String(relative + offsets[p]) }
                    try writer.writeRow(fields)
                }
            }
            return writer
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// Joins CSV files with the same header into an atomic file for `path` (committed by the
    /// caller): the first file whole, the others without their header line. Parts without an
    /// offset (or with 0) are copied by the kernel as they are; in the others, every record's
    /// first field (an unquoted integer: the row number) gets the part's offset added.
    static func concatenate(_ parts: [String], into path: String, firstFieldOffsets: [Int]? = nil) throws -> AtomicFile {
        let file = try AtomicFile(path: path)
        do {
            for (p, part) in parts.enumerated() {
                let offset = firstFieldOffsets?[p] ?? 0
                if offset == 0 {
                    try file.append(contentsOf: part, from: p == 0 ? 0 : try headerLength(part))
                } else {
                    try appendShiftingRowNumbers(part, by: offset, skippingHeader: p > 0, to: file)
                }
            }
            return file
        } catch {
            file.abandon()
            throw error
        }
    }

    /// Appends the CSV file at `part` to `file`, adding `offset` to the leading integer of every
    /// record that starts with one (the header line is dropped when `skippingHeader`). Records
    /// are found quote-aware: a line that continues a quoted field (a reason text with a line
    /// break) is copied unchanged.
    static func appendShiftingRowNumbers(_ part: String, by offset: Int, skippingHeader: Bool, to file: AtomicFile,
                                         chunkBytes: Int = 1 << 22) throws {
        guard let handle = FileHandle(forReadingAtPath: part) else { throw unreadable(part) }
        defer { try? handle.close() }
        var headerPending = true
        var insideQuotes = false
        var carry: [UInt8] = []
        func emit(_ line: UnsafeRawBufferPointer) throws {
            // `line` includes its LF.
            let startsRecord = !insideQuotes
            var quotes = 0
            for byte in line where byte == 0x22 { quotes += 1 }
            if quotes & 1 == 1 { insideQuotes.toggle() }
            if headerPending {
                headerPending = false
                if !skippingHeader { try file.write(line) }
                return
            }
            var value = 0, k = 0
            while startsRecord, k < line.count, line[k] >= 0x30, line[k] <= 0x39 {
                value = value * 10 + Int(line[k] - 0x30)
                k += 1
            }
            guard k > 0 else { return try file.write(line) }
            // The shifted number's digits, written without building a String.
            var shifted = value + offset
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
            try withUnsafeMutableBytes(of: &digits) { scratch in
                var n = scratch.count
                repeat {
                    n -= 1
                    scratch[n] = UInt8(0x30 + shifted % 10)
                    shifted /= 10
                } while shifted > 0
                try file.write(UnsafeRawBufferPointer(rebasing: scratch[n...]))
            }
            try file.write(UnsafeRawBufferPointer(rebasing: line[k...]))
        }
        while true {
            let chunk = handle.readData(ofLength: chunkBytes)
            if chunk.isEmpty { break }
            try chunk.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                var start = 0
                while start < raw.count, let found = memchr(raw.baseAddress! + start, 0x0A, raw.count - start) {
                    let newline = raw.baseAddress!.distance(to: UnsafeRawPointer(found))
                    if carry.isEmpty {
                        try emit(UnsafeRawBufferPointer(rebasing: raw[start...newline]))
                    } else {
                        carry.append(contentsOf: raw[start...newline])
                        try carry.withUnsafeBytes { try emit($0) }
                        carry.removeAll(keepingCapacity: true)
                    }
                    start = newline + 1
                }
                carry.append(contentsOf: raw[start...])
            }
        }
        if !carry.isEmpty {
            carry.append(0x0A)
            try carry.withUnsafeBytes { try emit($0) }
        }
    }

    /// The byte length of a CSV file's first line, its LF included (part files' header lines
    /// are column names, never quoted across lines).
    static func headerLength(_ path: String) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw unreadable(path) }
        defer { try? handle.close() }
        var length = 0
        while true {
            let chunk = handle.readData(ofLength: 1 << 16)
            guard !chunk.isEmpty else { return length }
            if let newline = chunk.firstIndex(of: 0x0A) { return length + (newline - chunk.startIndex) + 1 }
            length += chunk.count
        }
    }

    static func unreadable(_ path: String) -> DataError {
        DataError(file: path, message: "cannot read a part file of the batch job",
                  hint: "is the output folder writable and not cleaned meanwhile?")
    }
}
