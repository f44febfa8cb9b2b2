internal import CPNG

extension PNG {
    /// Encodes an 8-bit raster (gray, gray+alpha, RGB or RGBA; alpha straight) as a
    /// non-interlaced 8-bit PNG. libpng marks the file sRGB; decoding it gives back exactly
    /// these samples.
    /// - Parameter name: shown in errors.
    /// - Throws: ``PNGError/encodeFailed(name:message:)`` (for example for a 0-pixel raster).
    public static func encode(_ raster: Raster<UInt8>, name: String? = nil) throws(PNGError) -> [UInt8] {
        guard raster.width > 0, raster.height > 0 else {
            throw .encodeFailed(name: name, message: "image is \(raster.width)×\(raster.height)")
        }
        guard raster.width <= Int(Int32.max) / raster.layout.channels, raster.height <= Int(UInt32.max) else {
            throw .encodeFailed(name: name, message: "image is too large for PNG")
        }
        var image = png_image()
        image.version = lepton_png_image_version
        image.width = png_uint_32(raster.width)
        image.height = png_uint_32(raster.height)
        image.format = format(of: raster.layout)
        let stride = Int32(raster.width * raster.layout.channels)
        // Deflate never grows data by more than a few bytes per 16 KiB block; add room for the
        // filter byte of each row and the chunks. If libpng still needs more, it says how much.
        var capacity = raster.pixels.count + raster.pixels.count / 64 + raster.height + 1024
        for _ in 0..<2 {
            var written = capacity
            var failed = false
            let output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
                // Safe: libpng writes at most `written` (= capacity) bytes into the buffer and
                // reads width × height × channels samples from `pixels`, which the Raster
                // invariant guarantees; the row stride matches that packing.
                let ok = raster.pixels.withUnsafeBytes { pixels in
                    png_image_write_to_memory(&image, buffer.baseAddress, &written, 0, pixels.baseAddress, stride, nil)
                }
                failed = ok == 0
                initialized = failed ? 0 : written
            }
            if !failed { return output }
            if written > capacity { // too small: libpng reported the size it needs
                capacity = written
                png_image_free(&image) // a no-op if the failed write already released it
                image.warning_or_error = 0
                continue
            }
            throw .encodeFailed(name: name, message: LibpngReader.message(of: &image))
        }
        throw .encodeFailed(name: name, message: "libpng needed more memory than it asked for")
    }

    /// Encodes `raster` (see ``encode(_:name:)``) and writes it to `path` atomically: the bytes
    /// go to a temporary file beside it, are fsynced and renamed into place, so `path` never
    /// holds a partial file.
    /// - Throws: ``PNGError/encodeFailed(name:message:)``, ``PNGError/writeFailed(path:reason:)``.
    public static func write(_ raster: Raster<UInt8>, to path: String) throws(PNGError) {
        let bytes = try encode(raster, name: path)
        do {
            let file = try AtomicFile(path: path)
            do {
                try bytes.withUnsafeBytes { try file.write($0) }
                try file.commit()
            } catch {
                file.abandon()
                throw error
            }
        } catch let error as FileWriteError {
            throw .writeFailed(path: path, reason: error.reason)
        } catch {
            throw .writeFailed(path: path, reason: "\(error)")
        }
    }

    private static func format(of layout: PixelLayout) -> png_uint_32 {
        switch layout {
        case .gray: return lepton_png_format_gray
        case .grayAlpha: return lepton_png_format_ga
        case .rgb: return lepton_png_format_rgb
        case .rgba: return lepton_png_format_rgba
        }
    }
}
