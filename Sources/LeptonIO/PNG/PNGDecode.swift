/// A decoded image and what its file declared.
public struct PNGDecoded<Sample: Sendable & Equatable>: Sendable, Equatable {
    /// The pixels, in the layout that was asked for.
    public var raster: Raster<Sample>
    /// The source's size, bit depth, colour type, alpha and interlacing.
    public let info: PNGInfo
}

/// PNG decoding and encoding through libpng's simplified API.
///
/// Decoding accepts every standard PNG: gray at 1, 2, 4, 8 and 16 bits, gray+alpha, RGB,
/// RGBA, palette with or without tRNS, Adam7 interlaced or not. Samples come back **as
/// stored**, scaled to 0...1 for `Float` (v / 255, or v / 65535 for 16-bit sources; 1-, 2-
/// and 4-bit gray is first expanded to 8 bits by libpng exactly, e.g. 4-bit v → 17·v) or to
/// 0...255 for `UInt8` (`round(255 · f)` of the Float value, so 16-bit v → round(v·255/65535)).
/// Colour-space chunks (gAMA, cHRM, sRGB, iCCP) are ignored, as Pillow and OpenCV do:
/// without them libpng converts nothing. Alpha and channel conversions follow the rules of
/// ``PixelLayout`` requests described on ``decodeFloat(_:as:name:options:)``.
///
/// All functions are thread-safe; none keeps state between calls.
public enum PNG {
    /// Reads only the header of a PNG in memory: size, bit depth, colour type, alpha, interlacing.
    /// - Throws: ``PNGError``; the pixel limit of `options` applies.
    public static func info(of bytes: [UInt8], name: String? = nil,
                            options: PNGDecodeOptions = PNGDecodeOptions()) throws(PNGError) -> PNGInfo {
        try withBytes(bytes) { (raw) throws(PNGError) in
            try LibpngReader.withHeader(of: raw, name: name, maxPixels: options.maxPixels) { reader in reader.info }
        }
    }

    /// Decodes a PNG in memory to Float samples in 0...1.
    ///
    /// - Parameters:
    ///   - layout: the channels wanted. If it has no alpha but the source has (alpha channel
    ///     or tRNS), each pixel is composited onto `options.background`:
    ///     `c·a + background·(1 − a)` (the default black gives colour premultiplied by
    ///     alpha). If it has alpha, colour is straight (not premultiplied) and a source
    ///     without alpha gets alpha 1. RGB → gray uses `0.299 R + 0.587 G + 0.114 B`
    ///     (as Pillow's `convert("L")`); gray → RGB repeats the gray level. Sources with
    ///     16-bit alpha come from libpng premultiplied: compositing them is exact, while
    ///     straight colour for a layout with alpha is recovered by dividing by alpha (exact
    ///     to about 1/alpha 16-bit steps; 0 where alpha is 0).
    ///   - name: the file name to show in errors (`nil`: "<PNG in memory>").
    /// - Throws: ``PNGError``; too many pixels are refused before any pixel memory exists.
    public static func decodeFloat(_ bytes: [UInt8], as layout: PixelLayout, name: String? = nil,
                                   options: PNGDecodeOptions = PNGDecodeOptions()) throws(PNGError) -> PNGDecoded<Float> {
        try withBytes(bytes) { (raw) throws(PNGError) in try decodeFloat(raw, as: layout, name: name, options: options) }
    }

    /// Decodes a PNG in memory to 8-bit samples: `round(255 · f)` of what
    /// ``decodeFloat(_:as:name:options:)`` returns (for 8-bit sources without conversion,
    /// exactly the stored values; for 16-bit sources `round(v · 255 / 65535)`).
    /// - Throws: ``PNGError``.
    public static func decode(_ bytes: [UInt8], as layout: PixelLayout, name: String? = nil,
                              options: PNGDecodeOptions = PNGDecodeOptions()) throws(PNGError) -> PNGDecoded<UInt8> {
        try withBytes(bytes) { (raw) throws(PNGError) in try decode(raw, as: layout, name: name, options: options) }
    }

    /// ``decodeFloat(_:as:name:options:)`` for bytes the caller already holds in memory
    /// (they are only read during the call).
    public static func decodeFloat(_ bytes: UnsafeRawBufferPointer, as layout: PixelLayout, name: String? = nil,
                                   options: PNGDecodeOptions = PNGDecodeOptions()) throws(PNGError) -> PNGDecoded<Float> {
        try LibpngReader.withHeader(of: bytes, name: name, maxPixels: options.maxPixels) { (reader) throws(PNGError) in
            let info = reader.info, source = NativeFormat(reader)
            let count = info.pixelCount * layout.channels
            var pixels = [Float](repeating: 0, count: count)
            try withNativePixels(&reader) { native in
                // Safe: `pixels` has pixelCount × layout.channels elements, what convert writes.
                pixels.withUnsafeMutableBufferPointer { out in
                    convert(native, source: source, to: layout, background: options.background, into: out.baseAddress!)
                }
            }
            return PNGDecoded(raster: Raster(width: info.width, height: info.height, layout: layout, pixels: pixels),
                              info: info)
        }
    }

    /// ``decode(_:as:name:options:)`` for bytes the caller already holds in memory.
    public static func decode(_ bytes: UnsafeRawBufferPointer, as layout: PixelLayout, name: String? = nil,
                              options: PNGDecodeOptions = PNGDecodeOptions()) throws(PNGError) -> PNGDecoded<UInt8> {
        try LibpngReader.withHeader(of: bytes, name: name, maxPixels: options.maxPixels) { (reader) throws(PNGError) in
            let info = reader.info, source = NativeFormat(reader)
            let count = info.pixelCount * layout.channels
            var pixels = [UInt8](repeating: 0, count: count)
            if !reader.sixteenBit && reader.nativeLayout == layout {
                // The stored 8-bit samples are the answer: decode straight into the result.
                // Safe: count = pixelCount × channels = nativeByteCount for 8-bit samples.
                try pixels.withUnsafeMutableBytesTyped { (out) throws(PNGError) in try reader.finish(into: out.baseAddress!) }
            } else {
                var floats = [Float](repeating: 0, count: count)
                try withNativePixels(&reader) { native in
                    floats.withUnsafeMutableBufferPointer { out in
                        convert(native, source: source, to: layout, background: options.background, into: out.baseAddress!)
                    }
                }
                // Safe: both arrays have `count` elements.
                floats.withUnsafeBufferPointer { f in
                    pixels.withUnsafeMutableBufferPointer { out in
                        PNGPixels.quantize(f.baseAddress!, count: count, into: out.baseAddress!)
                    }
                }
            }
            return PNGDecoded(raster: Raster(width: info.width, height: info.height, layout: layout, pixels: pixels),
                              info: info)
        }
    }

    /// Reads a PNG file whole and decodes it to Float samples; see ``decodeFloat(_:as:name:options:)``.
    /// - Throws: ``PNGError``; files over `options.maxFileBytes` are refused unread.
    public static func readFloat(path: String, as layout: PixelLayout,
                                 options: PNGDecodeOptions = PNGDecodeOptions()) throws(PNGError) -> PNGDecoded<Float> {
        try decodeFloat(try readBytes(path: path, maxBytes: options.maxFileBytes), as: layout, name: path, options: options)
    }

    /// Reads a PNG file whole and decodes it to 8-bit samples; see ``decode(_:as:name:options:)``.
    /// - Throws: ``PNGError``; files over `options.maxFileBytes` are refused unread.
    public static func read(path: String, as layout: PixelLayout,
                            options: PNGDecodeOptions = PNGDecodeOptions()) throws(PNGError) -> PNGDecoded<UInt8> {
        try decode(try readBytes(path: path, maxBytes: options.maxFileBytes), as: layout, name: path, options: options)
    }

    // MARK: - Internals

    private static func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(PNGError) -> R) throws(PNGError) -> R {
        // Safe: the array is alive and unchanged for the duration of the closure.
        try bytes.withUnsafeBytesTyped(body)
    }

    /// Decodes into a scratch buffer of the source's own layout and hands it to `body`.
    private static func withNativePixels(_ reader: inout LibpngReader,
                                         _ body: (UnsafeRawPointer) -> Void) throws(PNGError) {
        // Safe: allocated with exactly nativeByteCount bytes, aligned for UInt16, freed on every path.
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(reader.nativeByteCount, 1),
                                                       alignment: MemoryLayout<UInt16>.alignment)
        defer { scratch.deallocate() }
        try reader.finish(into: scratch)
        body(UnsafeRawPointer(scratch))
    }

    /// The shape of the samples libpng decoded (a copy, so that it can be used while the
    /// reader itself is borrowed for decoding).
    private struct NativeFormat {
        let layout: PixelLayout
        let sixteenBit: Bool
        let premultiplied: Bool
        let pixelCount: Int

        init(_ reader: LibpngReader) {
            layout = reader.nativeLayout
            sixteenBit = reader.sixteenBit
            premultiplied = reader.premultiplied
            pixelCount = reader.info.pixelCount
        }
    }

    private static func convert(_ native: UnsafeRawPointer, source: NativeFormat, to layout: PixelLayout,
                                background: PNGBackground, into out: UnsafeMutablePointer<Float>) {
        let samples = source.pixelCount * source.layout.channels
        // Safe: finish_read wrote `samples` samples of the width libpng was asked for
        // (UInt16 for LINEAR formats, UInt8 otherwise) into the scratch buffer.
        if source.sixteenBit {
            PNGPixels.convert(native.bindMemory(to: UInt16.self, capacity: samples), layout: source.layout,
                              premultiplied: source.premultiplied, pixelCount: source.pixelCount,
                              to: layout, background: background, into: out)
        } else {
            PNGPixels.convert(native.bindMemory(to: UInt8.self, capacity: samples), layout: source.layout,
                              premultiplied: false, pixelCount: source.pixelCount,
                              to: layout, background: background, into: out)
        }
    }
}
