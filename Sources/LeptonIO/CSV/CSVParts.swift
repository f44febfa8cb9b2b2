/// How a file's data is cut into parts for concurrent reading.
public enum CSVPartCuts: String, Sendable, Equatable {
    /// At the first line end after evenly spaced offsets, without a pass over the file for
    /// quotes: cheap, and a record boundary only when an even number of quotes precede it.
    case lineEnds = "line-ends"
    /// At record boundaries found by quote parity from the data's start (``CSVReader/parts(_:)``).
    case quoteAware = "quote-aware"
    /// Not cut: the whole range in one piece, read as a sequential read would.
    case whole
}

/// What every part read reports so that ``CSVReader/readInParts(first:ranges:read:)`` can tell
/// whether the parts together read the file exactly as one sequential read would.
public protocol CSVPartResult {
    /// Whether the part ended between records as the reader parsed it (``CSVReader/Counts``).
    var endedBetweenRecords: Bool { get }
    /// Quote characters in the part's bytes (counted only when the read was asked to).
    var quotes: Int { get }
}

/// The parts of a parted read and the cuts that were finally used.
public struct CSVPartedRead<Part> {
    /// One result per part, in file order (one part when the read fell back to one piece).
    public var parts: [Part]
    /// The cuts the parts were finally read with.
    public var cuts: CSVPartCuts
}

extension CSVReader {
    /// Reads a file (or a range of it) in parts so that the result is exactly that of one
    /// sequential read — the one place the three concurrent readers (``NumericTable``,
    /// ``TabularTable`` and LeptonCLI's batch job) take this policy from:
    ///
    /// 1. `first` cuts (`.lineEnds` asks each part to count its quotes). When an odd number of
    ///    quotes precede a cut, the cut lies inside a quoted field: read again quote-aware.
    /// 2. Quote parity is not what libcsv parses when quoting is malformed (a stray quote in
    ///    `1,2"3` flips it), so a part other than the last may still end inside what the reader
    ///    takes as a record; then the next part would not start where a sequential read stands:
    ///    read again in one piece.
    ///
    /// - Parameters:
    ///   - first: the cuts to try first (`.whole` reads once, in one piece).
    ///   - ranges: the byte ranges for a kind of cut (one range for `.whole`).
    ///   - read: reads the given ranges (concurrently, as the caller likes) and returns one part
    ///     each, in order; `countQuotes` says whether quotes must be counted.
    public func readInParts<Part: CSVPartResult>(
        first: CSVPartCuts, ranges: (CSVPartCuts) throws -> [Range<Int>],
        read: (_ ranges: [Range<Int>], _ countQuotes: Bool) throws -> [Part]
    ) throws -> CSVPartedRead<Part> {
        var cuts = first
        while true {
            let cutRanges = try ranges(cuts)
            let parts = try read(cutRanges, cuts == .lineEnds && cutRanges.count > 1)
            guard parts.count > 1, cuts != .whole else { return CSVPartedRead(parts: parts, cuts: cuts) }
            if cuts == .lineEnds {
                var quotesBefore = 0
                var insideQuotes = false
                for part in parts.dropLast() {
                    quotesBefore += part.quotes
                    if quotesBefore % 2 != 0 { insideQuotes = true; break }
                }
                if insideQuotes {
                    cuts = .quoteAware
                    continue
                }
            }
            if parts.dropLast().contains(where: { !$0.endedBetweenRecords }) {
                cuts = .whole
                continue
            }
            return CSVPartedRead(parts: parts, cuts: cuts)
        }
    }

    /// The ranges of `count` parts of the data for `cuts` (one range, the whole data, for `.whole`).
    public func partRanges(_ count: Int, cuts: CSVPartCuts) -> [Range<Int>] {
        switch cuts {
        case .lineEnds: return partsIgnoringQuotes(count)
        case .quoteAware: return parts(count)
        case .whole: return [dataStart..<fileSize]
        }
    }
}
