/// The colour type stored in a PNG's IHDR chunk.
public enum PNGColorType: UInt8, Sendable, CustomStringConvertible {
    /// Gray samples (bit depth 1, 2, 4, 8 or 16).
    case gray = 0
    /// Red, green, blue samples (bit depth 8 or 16).
    case rgb = 2
    /// Indices into a palette (bit depth 1, 2, 4 or 8); a tRNS chunk adds alpha per entry.
    case palette = 3
    /// Gray and alpha samples (bit depth 8 or 16).
    case grayAlpha = 4
    /// Red, green, blue and alpha samples (bit depth 8 or 16).
    case rgba = 6

    public var description: String {
        switch self {
        case .gray: return "gray"
        case .rgb: return "RGB"
        case .palette: return "palette"
        case .grayAlpha: return "gray+alpha"
        case .rgba: return "RGBA"
        }
    }
}

/// What a PNG file declares about itself (from its header chunks).
public struct PNGInfo: Sendable, Equatable {
    /// Pixels per row.
    public let width: Int
    /// Number of rows.
    public let height: Int
    /// Bits per sample as stored: 1, 2, 4, 8 or 16 (for palette images, bits per index).
    public let bitDepth: Int
    /// The stored colour type.
    public let colorType: PNGColorType
    /// Whether the source carries transparency: an alpha channel or a tRNS chunk.
    public let hasAlpha: Bool
    /// Whether the rows are stored Adam7-interlaced.
    public let isInterlaced: Bool

    /// Creates an info value (decoding fills it from the file).
    public init(width: Int, height: Int, bitDepth: Int, colorType: PNGColorType, hasAlpha: Bool, isInterlaced: Bool) {
        self.width = width
        self.height = height
        self.bitDepth = bitDepth
        self.colorType = colorType
        self.hasAlpha = hasAlpha
        self.isInterlaced = isInterlaced
    }

    /// The pixel count, `width × height`.
    public var pixelCount: Int { width * height }
}

/// Byte-level facts about the PNG container, read without libpng.
enum PNGContainer {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Whether `bytes` starts with the 8-byte PNG signature.
    static func hasSignature(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 8 && zip(bytes.prefix(8), signature).allSatisfy { $0 == $1 }
    }

    /// Bit depth, colour type and interlace method from IHDR, which the PNG format
    /// requires at byte 8 (after the signature): length 13 at 8, "IHDR" at 12, fields at 16.
    /// Call only after libpng accepted the header, so the chunk is known to be there and valid.
    static func headerFields(_ bytes: UnsafeRawBufferPointer) -> (bitDepth: Int, colorType: UInt8, interlaced: Bool)? {
        guard bytes.count >= 29, bytes[12] == 0x49, bytes[13] == 0x48, bytes[14] == 0x44, bytes[15] == 0x52
        else { return nil }
        return (Int(bytes[24]), bytes[25], bytes[28] != 0)
    }

    /// The byte ranges of the colour-space chunks (gAMA, cHRM, sRGB, iCCP) that come
    /// before the image data, or an empty list when there are none.
    ///
    /// libpng's simplified API uses these chunks to convert samples between gamma encodings
    /// (for example a 16-bit image with gAMA 1/2.2 would come back linearised). Lepton
    /// returns samples as stored, like Pillow and OpenCV, so it hides these chunks from
    /// libpng. The walk stops at the first IDAT, at IEND, or at a chunk whose length runs
    /// past the end; libpng then reports any damage itself.
    static func colorSpaceChunks(_ bytes: UnsafeRawBufferPointer) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var at = 8
        while at + 12 <= bytes.count {
            let length = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            let type = UInt32(bytes[at + 4]) << 24 | UInt32(bytes[at + 5]) << 16 | UInt32(bytes[at + 6]) << 8 | UInt32(bytes[at + 7])
            let end = at + 12 + length
            if type == chunkIDAT || type == chunkIEND || end > bytes.count { break }
            if type == chunkGAMA || type == chunkCHRM || type == chunkSRGB || type == chunkICCP {
                ranges.append(at..<end)
            }
            at = end
        }
        return ranges
    }

    /// The first chunk before the image data that claims more bytes than follow it (type,
    /// offset, claimed length), or nil. libpng allocates such a chunk's whole claimed length before
    /// reading it (2 GB for a 300-byte file with a forged tEXt length, found by fuzzing); IDAT
    /// is streamed, and a cut one is reported as corrupt data.
    static func oversizedChunk(_ bytes: UnsafeRawBufferPointer) -> (type: String, offset: Int, length: Int)? {
        var at = 8
        while at + 8 <= bytes.count {
            let length = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            let type = UInt32(bytes[at + 4]) << 24 | UInt32(bytes[at + 5]) << 16 | UInt32(bytes[at + 6]) << 8 | UInt32(bytes[at + 7])
            // From the first IDAT on, libpng streams and stops once the image is complete.
            if type == chunkIEND || type == chunkIDAT { return nil }
            if at + 12 + length > bytes.count {
                return (String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self), at, length)
            }
            at += 12 + length
        }
        return nil
    }

    /// Whether the chunks reach IEND with no IDAT before it: a complete file with a header and
    /// no image (a file cut short before its IDAT is not one).
    static func endsWithoutImageData(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var at = 8
        while at + 8 <= bytes.count {
            let length = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            let type = UInt32(bytes[at + 4]) << 24 | UInt32(bytes[at + 5]) << 16 | UInt32(bytes[at + 6]) << 8 | UInt32(bytes[at + 7])
            if type == chunkIDAT { return false }
            if type == chunkIEND { return true }
            at += 12 + length
        }
        return false
    }

    /// `bytes` without the given (sorted, disjoint) ranges.
    static func removing(_ ranges: [Range<Int>], from bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var kept: [UInt8] = []
        kept.reserveCapacity(bytes.count)
        var from = 0
        for range in ranges {
            kept.append(contentsOf: bytes[from..<range.lowerBound])
            from = range.upperBound
        }
        kept.append(contentsOf: bytes[from...])
        return kept
    }

    private static let chunkIDAT: UInt32 = 0x4944_4154
    private static let chunkIEND: UInt32 = 0x4945_4E44
    private static let chunkGAMA: UInt32 = 0x6741_4D41
    private static let chunkCHRM: UInt32 = 0x6348_524D
    private static let chunkSRGB: UInt32 = 0x7352_4742
    private static let chunkICCP: UInt32 = 0x6943_4350
}
