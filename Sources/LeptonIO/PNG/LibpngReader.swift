internal import CPNG

/// One decode through libpng's simplified API, between `png_image_begin_read_from_memory`
/// (header) and `png_image_finish_read` (pixels). libpng reports errors by `longjmp`; the
/// simplified API catches them inside C and returns 0 with `image.message`, so no error
/// ever unwinds through Swift frames.
struct LibpngReader {
    /// What the header says.
    let info: PNGInfo
    /// The layout the pixels are decoded to: the source's own channels (palette images
    /// expand to RGB, or RGBA with tRNS; gray with tRNS gets alpha).
    let nativeLayout: PixelLayout
    /// Whether samples are 16-bit (`UInt16`, the full range 0...65535) rather than 8-bit.
    /// True exactly for 16-bit sources: libpng's 16→8 reduction treats samples as linear
    /// light, and Debian's 1.6.39 garbles 16-bit interlaced images decoded to 8-bit
    /// (pnggroup/libpng#853), so 16-bit sources are decoded to a LINEAR format and scaled here.
    let sixteenBit: Bool
    /// Whether colour samples come premultiplied by alpha: libpng's LINEAR formats with
    /// alpha are always premultiplied; 8-bit formats never are.
    var premultiplied: Bool { sixteenBit && nativeLayout.hasAlpha }
    /// Bytes that ``finish(into:)`` writes.
    var nativeByteCount: Int { info.pixelCount * nativeLayout.channels * (sixteenBit ? 2 : 1) }

    /// The png_image of this read. libpng keeps its address between begin_read and
    /// finish_read (errors and warnings are written through it), so it lives on the heap at
    /// a fixed place rather than in a Swift value that may move.
    private let image: UnsafeMutablePointer<png_image>
    private let name: String?

    /// Reads and checks the header of the PNG in `bytes`, then calls `body`, which decides
    /// whether and where to decode the pixels with ``finish(into:)``.
    ///
    /// - Throws: ``PNGError/empty(name:)``, ``PNGError/notPNG(name:)``,
    ///   ``PNGError/invalidHeader(name:message:)``, ``PNGError/tooManyPixels(name:width:height:limit:)``
    ///   before any pixel memory exists; whatever `body` throws.
    static func withHeader<R>(
        of bytes: UnsafeRawBufferPointer, name: String?, maxPixels: Int,
        _ body: (inout LibpngReader) throws(PNGError) -> R
    ) throws(PNGError) -> R {
        guard bytes.count > 0 else { throw .empty(name: name) }
        guard bytes.count < 8 || PNGContainer.hasSignature(bytes) else { throw .notPNG(name: name) }
        let hidden = PNGContainer.colorSpaceChunks(bytes)
        if hidden.isEmpty {
            return try withHeader(ofPNG: bytes, name: name, maxPixels: maxPixels, body)
        }
        let stripped = PNGContainer.removing(hidden, from: bytes)
        // Safe: `stripped` stays alive, unchanged, for the whole closure, which is the
        // whole life of the libpng read (begin_read and finish_read both happen inside).
        return try stripped.withUnsafeBytesTyped { (raw) throws(PNGError) -> R in
            try withHeader(ofPNG: raw, name: name, maxPixels: maxPixels, body)
        }
    }

    private static func withHeader<R>(
        ofPNG bytes: UnsafeRawBufferPointer, name: String?, maxPixels: Int,
        _ body: (inout LibpngReader) throws(PNGError) -> R
    ) throws(PNGError) -> R {
        let image = UnsafeMutablePointer<png_image>.allocate(capacity: 1)
        image.initialize(to: png_image()) // all zero: opaque = NULL, as libpng requires
        image.pointee.version = lepton_png_image_version
        defer {
            // Frees libpng's state if `body` never reached finish_read (which frees it itself;
            // png_image_free is then a no-op), on every path out.
            png_image_free(image)
            image.deallocate()
        }
        // Safe: bytes.count > 0 was checked by the caller, so baseAddress is non-nil; libpng
        // only reads `bytes.count` bytes from it, and the caller keeps them alive until this
        // function returns, after the last libpng call on this image.
        if let chunk = PNGContainer.oversizedChunk(bytes) {
            throw .corruptData(name: name, message: "chunk \(chunk.type) at byte \(chunk.offset) claims \(chunk.length) bytes; \(max(0, bytes.count - chunk.offset - 12)) follow")
        }
        guard png_image_begin_read_from_memory(image, bytes.baseAddress!, bytes.count) != 0 else {
            if PNGContainer.headerFields(bytes) != nil && PNGContainer.endsWithoutImageData(bytes) { throw .noImageData(name: name) }
            throw .invalidHeader(name: name, message: message(of: image))
        }
        var reader = try LibpngReader(image: image, bytes: bytes, name: name, maxPixels: maxPixels)
        return try body(&reader)
    }

    private init(image: UnsafeMutablePointer<png_image>, bytes: UnsafeRawBufferPointer, name: String?,
                 maxPixels: Int) throws(PNGError) {
        let width = Int(image.pointee.width), height = Int(image.pointee.height)
        // libpng accepted the header, so IHDR is present at its fixed place.
        guard let fields = PNGContainer.headerFields(bytes), let colorType = PNGColorType(rawValue: fields.colorType)
        else { throw .invalidHeader(name: name, message: "IHDR not found at the start of the file") }
        guard width > 0, height > 0 else {
            throw .invalidHeader(name: name, message: "image is \(width)×\(height)")
        }
        // Compare without multiplying first, so absurd sizes cannot overflow.
        guard width <= maxPixels, height <= maxPixels / width else {
            throw .tooManyPixels(name: name, width: width, height: height, limit: maxPixels)
        }
        let format = image.pointee.format
        let hasAlpha = format & lepton_png_format_flag_alpha != 0
        let isColor = format & lepton_png_format_flag_color != 0
        self.info = PNGInfo(width: width, height: height, bitDepth: fields.bitDepth, colorType: colorType,
                            hasAlpha: hasAlpha, isInterlaced: fields.interlaced)
        self.nativeLayout = isColor ? (hasAlpha ? .rgba : .rgb) : (hasAlpha ? .grayAlpha : .gray)
        self.sixteenBit = format & lepton_png_format_flag_linear != 0
        self.image = image
        self.name = name
    }

    /// Decodes the pixels into `buffer`, which must hold ``nativeByteCount`` bytes, rows
    /// top to bottom without padding, samples `UInt8` or (if ``sixteenBit``) `UInt16`.
    mutating func finish(into buffer: UnsafeMutableRawPointer) throws(PNGError) {
        var format: png_uint_32 = nativeLayout.isColor ? lepton_png_format_rgb : lepton_png_format_gray
        if nativeLayout.hasAlpha { format |= lepton_png_format_flag_alpha }
        if sixteenBit { format |= lepton_png_format_flag_linear }
        image.pointee.format = format
        // Row stride in samples (not bytes); width ≤ 1,000,000 (libpng's limit) × 4 channels fits Int32.
        let stride = Int32(info.width * nativeLayout.channels)
        // Safe: the caller provides nativeByteCount = height × stride × sample size bytes,
        // exactly what libpng writes for this format; the background is only read for
        // 8-bit formats that drop alpha, which never happens as we keep the source's alpha.
        guard png_image_finish_read(image, nil, buffer, stride, nil) != 0 else {
            throw .corruptData(name: name, message: Self.message(of: image))
        }
    }

    /// libpng's NUL-terminated message from the fixed 64-byte `message` field.
    static func message(of image: UnsafeMutablePointer<png_image>) -> String {
        withUnsafeBytes(of: &image.pointee.message) { raw in
            let text = raw.prefix { $0 != 0 }
            return text.isEmpty ? "unknown error" : String(decoding: text, as: UTF8.self)
        }
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` keeping the closure's typed error (the standard one is `rethrows`,
    /// which erases it to `any Error`).
    func withUnsafeBytesTyped<R>(_ body: (UnsafeRawBufferPointer) throws(PNGError) -> R) throws(PNGError) -> R {
        let result = withUnsafeBytes { raw in Result { () throws(PNGError) -> R in try body(raw) } }
        return try result.get()
    }

    /// `withUnsafeMutableBytes` keeping the closure's typed error.
    mutating func withUnsafeMutableBytesTyped<R>(
        _ body: (UnsafeMutableRawBufferPointer) throws(PNGError) -> R
    ) throws(PNGError) -> R {
        let result = withUnsafeMutableBytes { raw in Result { () throws(PNGError) -> R in try body(raw) } }
        return try result.get()
    }
}
