/// A fixed list of texts kept CSV-encoded (``CSVQuoting/encoded(_:delimiter:)``) in one byte
/// buffer, for output fields that are written many times — a score's PD, a bin's reason code.
/// Reading a field is a pointer and a length: no `String`, no reference counting per use.
///
/// `@unchecked Sendable`: the buffers are written once, in `init`, and only read afterwards.
public final class CSVFieldTable: @unchecked Sendable {
    public let count: Int
    private let storage: UnsafeMutablePointer<UInt8>
    /// Field i is `storage[offsets[i] ..< offsets[i + 1]]`.
    private let offsets: UnsafeMutablePointer<Int>

    public init(_ texts: [String], delimiter: UInt8 = UInt8(ascii: ",")) {
        let encoded = texts.map { CSVQuoting.encoded($0, delimiter: delimiter) }
        count = texts.count
        storage = .allocate(capacity: max(1, encoded.reduce(0) { $0 + $1.count }))
        offsets = .allocate(capacity: texts.count + 1)
        var used = 0
        for (i, field) in encoded.enumerated() {
            offsets[i] = used
            field.withUnsafeBufferPointer { (storage + used).update(from: $0.baseAddress!, count: $0.count) }
            used += field.count
        }
        offsets[texts.count] = used
    }

    deinit {
        storage.deallocate()
        offsets.deallocate()
    }

    /// The encoded bytes of field `i`, valid while the table lives.
    @inline(__always)
    public subscript(i: Int) -> UnsafeBufferPointer<UInt8> {
        precondition(i >= 0 && i < count, "CSVFieldTable: field \(i) of \(count)")
        return UnsafeBufferPointer(start: storage + offsets[i], count: offsets[i + 1] - offsets[i])
    }
}
