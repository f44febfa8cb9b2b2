/// One output record under construction, as CSV bytes: fields are appended already quoted,
/// so a batch job can build a line without a `String` or an array per record and hand it to
/// ``CSVWriter/write(line:)`` whole, or drop it (``clear()``) when the record is rejected.
///
/// Quoting follows ``CSVWriter`` exactly (the rules live in ``CSVQuoting``): a field is quoted
/// when it contains the delimiter, a quote, CR or LF, or starts or ends with a space or tab;
/// quotes inside are doubled; an empty first field is written `""`.
///
/// The buffer is owned by the value and freed by ``deallocate()``; it is not copyable in
/// the sense of value semantics (copies share the buffer), so keep one per thread.
public struct CSVLine {
    public let delimiter: UInt8
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes of the line so far (no line end).
    public private(set) var count = 0
    /// Fields appended so far.
    public private(set) var fieldCount = 0

    public init(delimiter: UInt8 = UInt8(ascii: ","), capacity: Int = 1024) {
        self.delimiter = delimiter
        self.capacity = max(16, capacity)
        storage = .allocate(capacity: self.capacity)
    }

    /// Frees the buffer; the value must not be used afterwards.
    public func deallocate() { storage.deallocate() }

    /// Starts a new, empty line (keeps the buffer).
    public mutating func clear() {
        count = 0
        fieldCount = 0
    }

    /// The line's bytes, valid until the next mutation.
    public var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: storage, count: count) }

    /// Appends a field given as raw text, quoting it if needed.
    public mutating func appendField(_ text: UnsafeBufferPointer<UInt8>) {
        beginField(empty: text.isEmpty)
        if text.isEmpty { return }
        if CSVQuoting.needsQuotes(text, delimiter: delimiter) {
            reserve(text.count * 2 + 2)
            storage[count] = 0x22
            count += 1
            for b in text {
                storage[count] = b
                count += 1
                if b == 0x22 {
                    storage[count] = 0x22
                    count += 1
                }
            }
            storage[count] = 0x22
            count += 1
        } else {
            appendRaw(text)
        }
    }

    /// Appends a text field, quoting it if needed.
    public mutating func appendField(_ text: String) {
        var text = text
        text.withUTF8 { appendField($0) }
    }

    /// Appends a field already in CSV form (see ``CSVQuoting/encoded(_:delimiter:)``) as it is.
    /// An empty encoded field is written `""` in first position, like any empty field.
    public mutating func appendEncodedField(_ encoded: UnsafeBufferPointer<UInt8>) {
        beginField(empty: encoded.isEmpty)
        appendRaw(encoded)
    }

    /// Appends an integer field in decimal.
    public mutating func appendField(_ value: Int) {
        beginField(empty: false)
        reserve(20)
        var magnitude = value.magnitude
        if value < 0 {
            storage[count] = 0x2D
            count += 1
        }
        var digits = 1, probe = magnitude
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        var position = count + digits
        count = position
        repeat {
            position -= 1
            storage[position] = UInt8(truncatingIfNeeded: 0x30 &+ magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
    }

    /// The delimiter before every field but the first; `""` for an empty first field.
    @inline(__always)
    private mutating func beginField(empty: Bool) {
        reserve(3)
        if fieldCount > 0 {
            storage[count] = delimiter
            count += 1
        } else if empty {
            storage[count] = 0x22
            storage[count + 1] = 0x22
            count += 2
        }
        fieldCount += 1
    }

    @inline(__always)
    private mutating func appendRaw(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (storage + count).update(from: base, count: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        var grown = capacity * 2
        while count + extra > grown { grown *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        bigger.update(from: storage, count: count)
        storage.deallocate()
        storage = bigger
        capacity = grown
    }
}

/// The CSV quoting rules that ``CSVWriter`` and ``CSVLine`` share (RFC 4180, plus quoting of
/// leading/trailing blanks that a reader would trim).
public enum CSVQuoting {
    /// Whether `text` must be quoted: it contains the delimiter, a quote, CR or LF, starts or
    /// ends with a space or tab, or starts with U+FEFF (a reader takes those bytes at the start of
    /// a file for a byte-order mark and drops them; found by fuzzing the batch job).
    @inline(__always)
    public static func needsQuotes(_ text: UnsafeBufferPointer<UInt8>, delimiter: UInt8) -> Bool {
        guard let first = text.first, let last = text.last else { return false }
        if first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09 { return true }
        if first == 0xEF, text.count >= 3, text[1] == 0xBB, text[2] == 0xBF { return true }
        for b in text where b == delimiter || b == 0x22 || b == 0x0A || b == 0x0D { return true }
        return false
    }

    /// `text` as a CSV field: quoted (inner quotes doubled) when ``needsQuotes(_:delimiter:)``,
    /// else unchanged. For fields written many times, encode once and use
    /// ``CSVLine/appendEncodedField(_:)``.
    public static func encoded(_ text: String, delimiter: UInt8 = UInt8(ascii: ",")) -> [UInt8] {
        let bytes = Array(text.utf8)
        let quote = bytes.withUnsafeBufferPointer { needsQuotes($0, delimiter: delimiter) }
        guard quote else { return bytes }
        var out: [UInt8] = [0x22]
        for b in bytes {
            out.append(b)
            if b == 0x22 { out.append(0x22) }
        }
        out.append(0x22)
        return out
    }
}
