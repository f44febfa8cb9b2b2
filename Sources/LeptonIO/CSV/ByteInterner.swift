#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Interns byte strings: each distinct byte sequence gets a code 0, 1, 2, … in order of first
/// insertion, without a `String` or a heap object per lookup (an open-addressing table of codes
/// over one arena of bytes). The categorical columns of ``TabularTable`` are read through it.
///
/// A value type over manually managed memory, so that the per-field hot path does no reference
/// counting: the owner calls ``deallocate()`` once. Not thread-safe: one interner per thread
/// (``TabularTable`` gives each part its own and merges them).
struct ByteInterner {
    /// Slot → (code + 1) << 32 | the hash's upper 32 bits (0: empty), so that a probe reads one
    /// word and touches the code's entry only on a likely match. The capacity is a power of
    /// two, kept under 50 % full.
    private var slots: UnsafeMutablePointer<UInt64>
    private var slotMask: Int
    /// Code → hash, start in the arena, length.
    private var hashes: UnsafeMutablePointer<UInt64>
    private var starts: UnsafeMutablePointer<Int>
    private var lengths: UnsafeMutablePointer<Int32>
    private var codeCapacity: Int
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCapacity: Int
    private var arenaCount = 0
    /// The number of distinct byte strings interned.
    private(set) var count = 0

    init(expected: Int = 64) {
        var capacity = 16
        while capacity < 2 * expected { capacity <<= 1 }
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: 0, count: capacity)
        slotMask = capacity - 1
        codeCapacity = max(expected, 16)
        hashes = .allocate(capacity: codeCapacity)
        starts = .allocate(capacity: codeCapacity)
        lengths = .allocate(capacity: codeCapacity)
        arenaCapacity = max(64, 8 * expected)  // grows by doubling; small, as a wide file has one per column
        arena = .allocate(capacity: arenaCapacity)
    }

    /// Frees the memory; the interner must not be used afterwards.
    func deallocate() {
        slots.deallocate()
        hashes.deallocate()
        starts.deallocate()
        lengths.deallocate()
        arena.deallocate()
    }

    /// A 64-bit hash of `bytes`: the 8-byte words folded by rotate-and-xor (independent of one
    /// another, so the loads overlap), then one multiply–xorshift; the last partial word is read
    /// as the 8 bytes ending at the end (overlapping the one before), so no byte past `bytes` is
    /// touched. Equal bytes always hash equal; the table compares the bytes on a hash match.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = bytes.count
        var h = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
        guard n > 0, let base = bytes.baseAddress else { return h }
        let raw = UnsafeRawPointer(base)
        if n < 8 {
            var tail: UInt64 = 0
            for i in 0..<n { tail |= UInt64(base[i]) << UInt64(8 * i) }
            h ^= tail
        } else {
            var i = 0
            while i + 8 < n {
                h = (h << 23 | h >> 41) ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                i += 8
            }
            h = (h << 23 | h >> 41) ^ raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        }
        h = (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 32)
    }

    /// Whether `count` bytes at `a` and `b` are equal (words compared, the last one overlapping).
    @inline(__always)
    static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, count n: Int) -> Bool {
        if n < 8 {
            for i in 0..<n where a[i] != b[i] { return false }
            return true
        }
        let x = UnsafeRawPointer(a), y = UnsafeRawPointer(b)
        var i = 0
        while i + 8 < n {
            if x.loadUnaligned(fromByteOffset: i, as: UInt64.self) != y.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        return x.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == y.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    }

    /// The code of `bytes` (with its ``hash(_:)``), or -1 when it was never inserted.
    @inline(__always)
    func code(of bytes: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int32 {
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        let tag = hash >> 32
        while true {
            let entry = slots[slot]
            if entry == 0 { return -1 }
            if entry & 0xFFFF_FFFF == tag {
                let code = Int(entry >> 32) - 1
                if hashes[code] == hash, Int(lengths[code]) == bytes.count,
                   bytes.isEmpty || Self.equal(arena + starts[code], bytes.baseAddress!, count: bytes.count) {
                    return Int32(code)
                }
            }
            slot = (slot + 1) & slotMask
        }
    }

    /// The code of `bytes`, inserting them (with the next code) when new.
    @discardableResult
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int32 {
        let existing = code(of: bytes, hash: hash)
        if existing >= 0 { return existing }
        return insertNew(bytes, hash: hash)
    }

    /// The code of `bytes`, inserting them when new.
    @discardableResult
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 { intern(bytes, hash: Self.hash(bytes)) }

    /// Inserts `bytes`, known to be absent, and returns their new code.
    mutating func insertNew(_ bytes: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int32 {
        if count == codeCapacity { growCodes() }
        if 2 * (count + 1) > slotMask + 1 { growSlots() }
        if arenaCount + bytes.count > arenaCapacity { growArena(arenaCount + bytes.count) }
        if let base = bytes.baseAddress, !bytes.isEmpty { (arena + arenaCount).update(from: base, count: bytes.count) }
        let code = count
        hashes[code] = hash
        starts[code] = arenaCount
        lengths[code] = Int32(bytes.count)
        arenaCount += bytes.count
        count += 1
        place(code: code, hash: hash)
        return Int32(code)
    }

    /// Lends the bytes of `code` (valid until the next insertion).
    func withBytes<R>(of code: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        precondition(code >= 0 && code < count, "ByteInterner: code \(code) of \(count)")
        return try body(UnsafeBufferPointer(start: arena + starts[code], count: Int(lengths[code])))
    }

    /// The stored hash of `code`.
    func hash(of code: Int) -> UInt64 { hashes[code] }

    /// Whether any interned byte is outside ASCII (then `String` equality may join distinct byte strings).
    var hasNonASCII: Bool {
        for i in 0..<arenaCount where arena[i] >= 0x80 { return true }
        return false
    }

    private func place(code: Int, hash: UInt64) {
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        while slots[slot] != 0 { slot = (slot + 1) & slotMask }
        slots[slot] = UInt64(code + 1) << 32 | hash >> 32
    }

    private mutating func growSlots() {
        let capacity = (slotMask + 1) * 2
        slots.deallocate()
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: 0, count: capacity)
        slotMask = capacity - 1
        for code in 0..<count { place(code: code, hash: hashes[code]) }
    }

    private mutating func growCodes() {
        let capacity = codeCapacity * 2
        hashes = hashes.movedToAllocation(capacity: capacity, count: count)
        starts = starts.movedToAllocation(capacity: capacity, count: count)
        lengths = lengths.movedToAllocation(capacity: capacity, count: count)
        codeCapacity = capacity
    }

    private mutating func growArena(_ needed: Int) {
        var capacity = arenaCapacity * 2
        while capacity < needed { capacity *= 2 }
        arena = arena.movedToAllocation(capacity: capacity, count: arenaCount)
        arenaCapacity = capacity
    }
}
