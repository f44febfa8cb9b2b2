#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the records in bytes `[start, end)` of one file, in fixed-size chunks (memory stays
/// flat), through libcsv — or, for stretches with no quote character while libcsv sits between
/// records, through a tokenizer that gives exactly libcsv's records and is several times faster.
///
/// `start` must be a record boundary (the file's start, or just after a record terminator
/// outside quotes); ``CSVBoundaries`` finds such places.
struct CSVRangeReader {
    let fd: Int32
    let path: String
    let start: Int
    let end: Int
    let options: CSVOptions
    /// Strip a UTF-8 byte-order mark at `start` (true at the file's start).
    let skipByteOrderMark: Bool
    static let chunkSize = 1 << 20
    static let libcsvPiece = 1 << 16

    struct Counts {
        var records = 0
        /// Quote characters in the range, when ``countQuotes`` is set (else 0).
        var quotes = 0
        /// Whether the range ended between records (no open quote, partial record or line being
        /// skipped after an error): then a reader starting at the range's end reads what a reader
        /// coming from before it would.
        var endedBetweenRecords = true
    }

    /// An optional specialised parser tried on the quote-free fast path before the general
    /// tokenizer: given the data, a line's start and the data's end, it takes whole lines for as
    /// long as it can and returns the index just past the last line it took (the line's start
    /// when it took none) and how many it took; the general path then reads the next line and
    /// tries the hook again after it. It must only take lines the general path would read the
    /// same way (``NumericTable`` uses it for plain numbers). `data[end]` is readable and holds
    /// an LF sentinel, and ``hookReadAhead`` bytes after it are readable, so a hook may scan
    /// without bounds checks up to a terminator and read ``hookReadAhead`` bytes from any byte
    /// at or before it.
    typealias LineHook = (_ data: UnsafePointer<UInt8>, _ lineStart: Int, _ end: Int) -> (next: Int, lines: Int)
    /// Readable bytes after the sentinel, for a ``LineHook``.
    static let hookReadAhead = 32
    var lineHook: LineHook?
    /// Count the quote characters of the range (``Counts/quotes``): a reader that split the file
    /// without looking at quotes checks with them that every cut was outside quotes.
    var countQuotes = false

    /// Calls `body` for each record with its fields and its ordinal from 1 (records taken by the
    /// ``lineHook`` are counted but not handed to `body`); stops early when
    /// `body` returns false. Throws only for I/O failures or what `body` throws.
    func forEachRecord(
        _ body: (_ base: UnsafePointer<UInt8>, _ bounds: UnsafePointer<Int>, _ fieldCount: Int,
                 _ problem: CSVRowProblem?, _ ordinal: Int) throws -> Bool
    ) throws -> Counts {
        var counts = Counts()
        let collector = LibcsvCollector(maxFieldBytes: options.maxFieldBytes, maxRowBytes: options.maxRowBytes)
        let parser = LibcsvParser(delimiter: options.delimiter, collector: collector)
        // Two chunks (the carry is kept under one), one byte for the hook's sentinel and the
        // read-ahead a hook may read past it, kept initialised. A short range gets short chunks.
        let chunk = min(Self.chunkSize, max(1 << 12, end - start))
        let capacity = chunk * 2 + 1 + Self.hookReadAhead
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        buffer.initialize(repeating: 0, count: capacity)
        defer { buffer.deallocate() }
        var fastBounds = UnsafeMutablePointer<Int>.allocate(capacity: 256)
        var fastBoundsCapacity = 256
        defer { fastBounds.deallocate() }
        /// Per field of the fast paths, the length libcsv holds it at when it checks the field
        /// limit: from the first byte after leading spaces to the raw end (trailing spaces
        /// included) for a plain field, the content and the closing quote for a quoted one.
        var limitLengths = UnsafeMutablePointer<Int>.allocate(capacity: 128)
        defer { limitLengths.deallocate() }
        /// Makes room for one more field's (start, end) pair after `fields` fields.
        func reserveBounds(after fields: Int) {
            guard 2 * fields + 2 > fastBoundsCapacity else { return }
            fastBounds = fastBounds.movedToAllocation(capacity: fastBoundsCapacity * 2, count: 2 * fields)
            limitLengths = limitLengths.movedToAllocation(capacity: fastBoundsCapacity, count: fields)
            fastBoundsCapacity *= 2
        }
        /// Applies the field and row limits to a fast path's fields exactly as libcsv's reading
        /// does, so that a refused record is the same record on every path: a field over the
        /// limit ends the record before it (the rest is skipped); a field that would take the
        /// record's text over the row limit is kept empty. Returns the fields kept and the problem.
        func applyLimits(_ fields: Int) -> (fields: Int, problem: CSVRowProblem?) {
            var problem: CSVRowProblem?
            var rowBytes = 0
            for f in 0..<fields {
                if limitLengths[f] > options.maxFieldBytes { return (f, problem ?? .fieldTooLong(limit: options.maxFieldBytes)) }
                let length = fastBounds[2 * f + 1] - fastBounds[2 * f]
                if rowBytes + length > options.maxRowBytes {
                    problem = problem ?? .rowTooLong(limit: options.maxRowBytes)
                    fastBounds[2 * f + 1] = fastBounds[2 * f]
                } else {
                    rowBytes += length
                }
            }
            return (fields, problem)
        }
        var carry = 0
        var offset = start
        var first = true
        var stop = false
        /// The rest of a refused record, dropped up to its end (resynchronisation).
        var skipper: CSVRecordSkipper?
        let quote = UInt8(ascii: "\"")
        let delimiter = options.delimiter

        func deliverCollected() throws {
            for k in 0..<collector.rowCount where !stop {
                let row = collector.row(k)
                counts.records += 1
                if try !body(collector.bytes, collector.bounds + row.firstBound, row.fieldCount, row.problem, counts.records) {
                    stop = true
                }
            }
            collector.discardDeliveredRows()
        }

        func feedLibcsv(_ data: UnsafeMutablePointer<UInt8>, _ count: Int) throws {
            var position = 0
            while position < count && !stop {
                if skipper != nil {
                    if let next = skipper!.skip(data + position, count - position) {
                        position += next
                        skipper = nil
                    } else {
                        position = count
                    }
                    continue
                }
                // A field grows by at most one byte per byte fed, so a piece no longer than the
                // room left under the limit stops exactly on the byte that crosses it: where the
                // reader resynchronises then does not depend on where the feeding started (a
                // part of a parallel read, a chunk, a line of the fast path).
                let piece = min(Self.libcsvPiece, count - position, max(1, options.maxFieldBytes - parser.pendingFieldBytes + 1))
                let consumed = parser.parse(data + position, piece)
                position += consumed
                if consumed < piece {
                    // Strict-mode parse error: the record is malformed; resume after its line.
                    collector.rowProblem = collector.rowProblem ?? .malformedQuoting
                    collector.endRow()
                    parser.reset()
                    skipper = CSVRecordSkipper(state: .toLineEnd, delimiter: delimiter)
                } else if parser.pendingFieldBytes > options.maxFieldBytes {
                    // The piece ended on the byte that crossed the limit (see above): the rest of
                    // the field, and of its record, is skipped with its quotes followed, so a
                    // quoted field's lines never come back as rows of their own.
                    collector.rowProblem = collector.rowProblem ?? .fieldTooLong(limit: options.maxFieldBytes)
                    collector.endRow()
                    skipper = CSVRecordSkipper(state: parser.skipState, delimiter: delimiter)
                    parser.reset()
                }
                try deliverCollected()
            }
        }

        /// Splits the line `[start, end)` when every field is either plain (no quote; spaces
        /// trimmed) or quoted edge to edge (`,"…",` with no quote inside): what libcsv gives for
        /// such a line. Fills `fastBounds` and returns the field count, or nil to leave the line
        /// to libcsv.
        func simpleQuotedFields(_ data: UnsafeMutablePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
            guard delimiter != quote else { return nil }
            var fields = 0
            var f = start
            while true {
                reserveBounds(after: fields)
                var next: Int
                if f < end, data[f] == quote {
                    let q = ByteScan.firstOf(quote, quote, in: data, from: f + 1, end: end)
                    guard q < end else { return nil }                                  // closes on a later line
                    next = q + 1
                    guard next == end || data[next] == delimiter else { return nil }   // `""`, `"a"b`, `"a" ,`
                    fastBounds[2 * fields] = f + 1
                    fastBounds[2 * fields + 1] = q
                    limitLengths[fields] = q - f  // libcsv holds the closing quote when it checks the limit
                } else {
                    next = ByteScan.firstOf(delimiter, quote, in: data, from: f, end: end)
                    if next < end, data[next] == quote { return nil }                      // a quote inside a plain field
                    var s = f, e = next
                    while s < e, (data[s] == 0x20 || data[s] == 0x09) && data[s] != delimiter { s += 1 }
                    while e > s, (data[e - 1] == 0x20 || data[e - 1] == 0x09) && data[e - 1] != delimiter { e -= 1 }
                    fastBounds[2 * fields] = s
                    fastBounds[2 * fields + 1] = e
                    limitLengths[fields] = next - s
                }
                fields += 1
                if next >= end { return fields }
                f = next + 1
            }
        }

        func tokenizeUnquoted(_ data: UnsafeMutablePointer<UInt8>, _ count: Int) throws {
            var i = 0
            while i < count && !stop {
                if let lineHook {
                    let taken = lineHook(data, i, count)
                    counts.records += taken.lines
                    i = taken.next
                    if i >= count { break }
                }
                let lineStart = i
                // The sentinel LF at `count` ends the search at the latest.
                let (lineEnd, sawQuote) = ByteScan.lineEnd(in: data, from: i, quote: quote)
                i = lineEnd + 1
                var blank = true
                for k in lineStart..<lineEnd where !((data[k] == 0x20 || data[k] == 0x09) && data[k] != delimiter) {
                    blank = false
                    break
                }
                if blank { continue }
                if sawQuote {
                    if let found = simpleQuotedFields(data, lineStart, lineEnd) {
                        let (fields, problem) = applyLimits(found)
                        counts.records += 1
                        if try !body(UnsafePointer(data), fastBounds, fields, problem, counts.records) { stop = true }
                        continue
                    }
                    // Not a simple quoted line (doubled quotes, spaces around quotes, a quoted
                    // line break, malformed quoting): libcsv reads it, and the lines after it
                    // until it is back between records.
                    try feedLibcsv(data + lineStart, min(lineEnd + 1, count) - lineStart)
                    i = min(lineEnd + 1, count)
                    while (!parser.atRecordBoundary || skipper != nil) && i < count && !stop {
                        var end = i
                        while end < count, data[end] != 0x0A, data[end] != 0x0D { end += 1 }
                        try feedLibcsv(data + i, min(end + 1, count) - i)
                        i = min(end + 1, count)
                    }
                    continue
                }
                var found = 0
                var fieldStart = lineStart
                var j = lineStart
                while true {
                    if j == lineEnd || data[j] == delimiter {
                        var s = fieldStart, e = j
                        while s < e, (data[s] == 0x20 || data[s] == 0x09) && data[s] != delimiter { s += 1 }
                        while e > s, (data[e - 1] == 0x20 || data[e - 1] == 0x09) && data[e - 1] != delimiter { e -= 1 }
                        reserveBounds(after: found)
                        fastBounds[2 * found] = s
                        fastBounds[2 * found + 1] = e
                        limitLengths[found] = j - s
                        found += 1
                        if j == lineEnd { break }
                        fieldStart = j + 1
                    }
                    j += 1
                }
                let (fields, problem) = applyLimits(found)
                counts.records += 1
                if try !body(UnsafePointer(data), fastBounds, fields, problem, counts.records) { stop = true }
            }
        }

        while !stop {
            let wanted = min(chunk, end - offset)
            let got = try readFully(into: buffer + carry, count: wanted, at: offset)
            offset += got
            if countQuotes { counts.quotes += Self.count(quote, in: buffer + carry, got) }
            let atEnd = offset >= end || got < wanted
            var dataStart = 0
            var available = carry + got
            if first {
                first = false
                if skipByteOrderMark, available >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF {
                    dataStart = 3
                }
            }
            // Process up to the last terminator; carry the tail into the next chunk.
            var cut = available
            var endsAtRecordEnd = atEnd
            if !atEnd {
                var k = available - 1
                while k >= dataStart, buffer[k] != 0x0A, buffer[k] != 0x0D { k -= 1 }
                // With no terminator, or too long a tail to carry, libcsv takes the whole chunk:
                // it keeps its own state across chunks, so the carry stays under one chunk.
                if k >= dataStart && available - (k + 1) <= chunk {
                    cut = k + 1
                    endsAtRecordEnd = true
                }
            }
            let segment = buffer + dataStart
            let segmentCount = cut - dataStart
            if segmentCount > 0 {
                let useFast = options.fastPathForUnquotedData && endsAtRecordEnd && skipper == nil
                    && parser.atRecordBoundary
                if useFast {
                    // The sentinel promised to line hooks; the carried byte under it is put back.
                    let saved = segment[segmentCount]
                    segment[segmentCount] = 0x0A
                    defer { segment[segmentCount] = saved }
                    try tokenizeUnquoted(segment, segmentCount)
                } else {
                    try feedLibcsv(segment, segmentCount)
                }
            }
            if atEnd {
                counts.endedBetweenRecords = parser.atRecordBoundary && skipper == nil
                if !stop {
                    if !parser.finish() {
                        collector.rowProblem = collector.rowProblem ?? .unterminatedQuote
                        collector.endRow()
                    } else if collector.hasPartialRow {
                        collector.endRow()
                    }
                    try deliverCollected()
                }
                break
            }
            available -= cut
            if available > 0 { buffer.update(from: buffer + cut, count: available) }
            carry = available
        }
        return counts
    }

    /// How many times `byte` occurs in `count` bytes at `start` (memchr skips the stretches between).
    private static func count(_ byte: UInt8, in start: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
        var found = 0
        var p = UnsafeMutableRawPointer(start)
        var left = count
        while left > 0, let hit = memchr(p, Int32(byte), left) {
            found += 1
            left -= hit - p + 1
            p = hit + 1
        }
        return found
    }

    private func readFully(into destination: UnsafeMutablePointer<UInt8>, count: Int, at position: Int) throws -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, destination + done, count - done, off_t(position + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw CSVFileError.readFailed(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            done += n
        }
        return done
    }
}
