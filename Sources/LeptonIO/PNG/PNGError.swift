/// Why a PNG could not be read, decoded, encoded or written. Each case names the file
/// (`nil` for bytes decoded from memory without a name) and its description ends with a hint.
public enum PNGError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened.
    case cannotOpen(path: String, reason: String)
    /// Reading the file failed part-way.
    case readFailed(path: String, reason: String)
    /// The file is bigger than ``PNGDecodeOptions/maxFileBytes``; nothing was read.
    case fileTooLarge(path: String, bytes: Int, limit: Int)
    /// There are no bytes at all.
    case empty(name: String?)
    /// The bytes do not start with the PNG signature.
    case notPNG(name: String?)
    /// libpng refused the signature or header chunks (zero or out-of-range size, bad IHDR,
    /// bad CRC, data ending before the first image data); `message` is libpng's.
    case invalidHeader(name: String?, message: String)
    /// The header is there but no image data (IDAT chunk) follows it.
    case noImageData(name: String?)
    /// The header is valid but the image has more pixels than allowed; refused before
    /// any pixel memory was allocated.
    case tooManyPixels(name: String?, width: Int, height: Int, limit: Int)
    /// libpng failed while decoding the image data (truncated file, bad CRC, corrupt
    /// compressed data); `message` is libpng's.
    case corruptData(name: String?, message: String)
    /// libpng could not encode the raster; `message` is libpng's.
    case encodeFailed(name: String?, message: String)
    /// The encoded file could not be written.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open (\(reason)). Hint: check the path and its permissions."
        case let .readFailed(path, reason):
            return "\(path): read failed (\(reason)). Hint: is the disk or network share still there?"
        case let .fileTooLarge(path, bytes, limit):
            return "\(path): \(bytes) bytes is over the limit of \(limit) bytes for one PNG. Hint: raise PNGDecodeOptions.maxFileBytes if the file is genuine."
        case let .empty(name):
            return "\(Self.label(name)): the file is empty. Hint: was it written completely?"
        case let .notPNG(name):
            return "\(Self.label(name)): not a PNG file (the first 8 bytes are not the PNG signature). Hint: check the file type; convert JPEG or other formats to PNG first."
        case let .invalidHeader(name, message):
            return "\(Self.label(name)): invalid PNG header (libpng: \(message)). Hint: the file is truncated or damaged, or its width or height is zero or over 1,000,000; re-export it."
        case let .noImageData(name):
            return "\(Self.label(name)): the PNG has a header but no image data (no IDAT chunk before IEND). Hint: the file was cut short or written by a tool that failed; re-export it."
        case let .tooManyPixels(name, width, height, limit):
            return "\(Self.label(name)): \(width)×\(height) = \(width * height) pixels is over the limit of \(limit). Hint: this guards against decompression bombs; raise PNGDecodeOptions.maxPixels if the image is genuine."
        case let .corruptData(name, message):
            return "\(Self.label(name)): corrupt PNG image data (libpng: \(message)). Hint: the file is truncated or damaged; re-copy or re-export it."
        case let .encodeFailed(name, message):
            return "\(Self.label(name)): cannot encode PNG (libpng: \(message)). Hint: width and height must be 1 or more."
        case let .writeFailed(path, reason):
            return "\(path): cannot write (\(reason)). Hint: check free space and permissions on the folder."
        }
    }

    private static func label(_ name: String?) -> String { name ?? "<PNG in memory>" }
}
