internal import CLeptonIntrinsics

/// CRC-32 of data that arrives in pieces, or in parts checksummed on separate cores.
extension CRC32 {
    /// Whether the carry-less-multiply kernel can run here (x86-64 with PCLMULQDQ and SSE4.1).
    static let foldAvailable = lepton_crc32_fold_available() != 0

    /// The CRC-32 of the data whose CRC-32 is `previous` followed by `bytes` (zlib's
    /// `crc32(crc, buf, len)`; `previous` is 0 for the start). Whole 16-byte blocks of pieces of
    /// 64 bytes or more are folded with carry-less multiplication where the processor has it
    /// (about ten times the table's speed); the rest goes through ``checksumBySlicing(_:continuing:)``.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32) -> UInt32 {
        guard foldAvailable, bytes.count >= 64, let base = bytes.baseAddress else {
            return checksumBySlicing(bytes, continuing: previous)
        }
        let folded = bytes.count & ~15
        let state = lepton_crc32_fold(previous ^ 0xFFFF_FFFF, base.assumingMemoryBound(to: UInt8.self), folded)
        return checksumBySlicing(UnsafeRawBufferPointer(rebasing: bytes[folded...]), continuing: state ^ 0xFFFF_FFFF)
    }

    /// The table-driven twin of ``checksum(_:continuing:)``, slicing-by-8: eight table lookups
    /// per eight bytes.
    public static func checksumBySlicing(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32) -> UInt32 {
        var crc = previous ^ 0xFFFF_FFFF
        guard let base = bytes.baseAddress else { return previous }
        let n = bytes.count
        slicingTables.withUnsafeBufferPointer { t in
            var i = 0
            while i + 8 <= n {
                let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian
                let low = UInt32(truncatingIfNeeded: word) ^ crc, high = UInt32(truncatingIfNeeded: word >> 32)
                crc = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                i += 8
            }
            while i < n {
                crc = t[Int((crc ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// The CRC-32 of A followed by B from the CRC-32 of A, that of B and B's length in bytes
    /// (zlib's `crc32_combine`): A's CRC shifted by 8·lengthB zero bits, modulo the polynomial,
    /// plus B's. O(log lengthB).
    public static func combine(_ crcA: UInt32, _ crcB: UInt32, lengthB: Int) -> UInt32 {
        precondition(lengthB >= 0, "CRC32.combine: negative length")
        return multiplyModP(powerOfXModP(bits: UInt64(lengthB) * 8), crcA) ^ crcB
    }

    /// a·b modulo the CRC polynomial, both as reflected bit strings (bit 31 is x⁰).
    static func multiplyModP(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var m: UInt32 = 1 << 31, product: UInt32 = 0, b = b
        while m != 0 {
            if a & m != 0 { product ^= b }
            m >>= 1
            b = b & 1 != 0 ? (b >> 1) ^ 0xEDB8_8320 : b >> 1
        }
        return product
    }

    /// x^bits modulo the polynomial, by squaring: x^(2^k) from the table, multiplied for each set bit.
    static func powerOfXModP(bits: UInt64) -> UInt32 {
        var result: UInt32 = 1 << 31  // x⁰
        var n = bits, k = 0
        while n != 0 {
            if n & 1 != 0 { result = multiplyModP(powersOfXToTwoToThe[k], result) }
            n >>= 1
            k += 1
        }
        return result
    }

    /// x^(2^k) modulo the polynomial, k = 0 … 63.
    static let powersOfXToTwoToThe: [UInt32] = {
        var p: UInt32 = 1 << 30  // x¹
        var table = [p]
        for _ in 1..<64 {
            p = multiplyModP(p, p)
            table.append(p)
        }
        return table
    }()

    /// Eight 256-entry tables: T0 is the classic table, Tk[i] = (Tk−1[i] >> 8) ^ T0[Tk−1[i] & 0xFF].
    static let slicingTables: [UInt32] = {
        var t = table
        for k in 1..<8 {
            for i in 0..<256 {
                let prev = t[(k - 1) * 256 + i]
                t.append((prev >> 8) ^ table[Int(prev & 0xFF)])
            }
        }
        return t
    }()
}
