#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LeptonIO

/// A fingerprint of a file's bytes (CRC-32 and size), to tell same-named files apart in reports;
/// nil when the file cannot be read. Streamed in 1 MB pieces (memory stays flat), its `threads`
/// parts checksummed concurrently and combined (``CRC32/combine(_:_:lengthB:)``).
public func fileFingerprint(_ path: String, threads: Int = ThreadCount.auto.resolved) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { return nil }
    let size = Int(info.st_size)
    let parts = max(1, min(threads, size / (1 << 20) + 1))
    let ranges = (0..<parts).map { k in (size * k / parts)..<(size * (k + 1) / parts) }
    var results = [UInt32?](repeating: nil, count: parts)
    results.withUnsafeMutableBufferPointer { slots in
        let slots = UncheckedSendableBox(slots)
        // Safe: each part writes only its own slot, and `run` returns when all are done.
        Parallel.run(parts) { k in slots.value[k] = checksum(fd: fd, range: ranges[k]) }
    }
    var crc: UInt32 = 0
    for (k, part) in results.enumerated() {
        guard let partCRC = part else { return nil }
        crc = k == 0 ? partCRC : CRC32.combine(crc, partCRC, lengthB: ranges[k].count)
    }
    return "crc32:" + String(crc, radix: 16) + ",bytes:\(size)"
}

/// The CRC-32 of bytes `range` of an open file, read in 1 MB pieces; nil on a read error.
private func checksum(fd: Int32, range: Range<Int>) -> UInt32? {
    let piece = 1 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: piece, alignment: 16)
    defer { buffer.deallocate() }
    var crc: UInt32 = 0
    var offset = range.lowerBound
    while offset < range.upperBound {
        let n = pread(fd, buffer.baseAddress, min(piece, range.upperBound - offset), off_t(offset))
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return nil }
        crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), continuing: crc)
        offset += n
    }
    return crc
}
