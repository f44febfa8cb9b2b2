/// How the channels of one pixel are laid out in a ``Raster``.
public enum PixelLayout: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// One channel: gray (luminance).
    case gray = 1
    /// Two channels: gray, then alpha.
    case grayAlpha = 2
    /// Three channels: red, green, blue.
    case rgb = 3
    /// Four channels: red, green, blue, then alpha (straight, not premultiplied).
    case rgba = 4

    /// The number of samples per pixel.
    public var channels: Int { rawValue }
    /// Whether the last channel is alpha.
    public var hasAlpha: Bool { self == .grayAlpha || self == .rgba }
    /// Whether the pixel has red, green and blue channels.
    public var isColor: Bool { self == .rgb || self == .rgba }

    public var description: String {
        switch self {
        case .gray: return "gray"
        case .grayAlpha: return "gray+alpha"
        case .rgb: return "RGB"
        case .rgba: return "RGBA"
        }
    }
}

/// An image in memory: `height` rows of `width` pixels, each pixel `layout.channels`
/// interleaved samples, rows top to bottom with no padding (shape (H, W, C)).
///
/// `Sample` is `UInt8` (0...255) or `Float` (0...1 for decoded images).
public struct Raster<Sample: Sendable & Equatable>: Sendable, Equatable {
    /// Pixels per row.
    public let width: Int
    /// Number of rows.
    public let height: Int
    /// Channels of each pixel.
    public let layout: PixelLayout
    /// `width × height × layout.channels` samples; sample `c` of pixel (x, y) is at
    /// `(y * width + x) * layout.channels + c`.
    public var pixels: [Sample]

    /// Wraps `pixels`; their count must be `width × height × layout.channels`.
    public init(width: Int, height: Int, layout: PixelLayout, pixels: [Sample]) {
        precondition(width >= 0 && height >= 0, "Raster: negative size \(width)×\(height)")
        precondition(pixels.count == width * height * layout.channels,
                     "Raster: \(pixels.count) samples for \(width)×\(height) \(layout)")
        self.width = width
        self.height = height
        self.layout = layout
        self.pixels = pixels
    }

    /// A raster with every sample set to `value`.
    public init(width: Int, height: Int, layout: PixelLayout, repeating value: Sample) {
        self.init(width: width, height: height, layout: layout,
                  pixels: Array(repeating: value, count: width * height * layout.channels))
    }

    /// Sample `channel` of the pixel in column `x`, row `y`.
    public subscript(x x: Int, y y: Int, channel channel: Int) -> Sample {
        get { pixels[index(x, y, channel)] }
        set { pixels[index(x, y, channel)] = newValue }
    }

    private func index(_ x: Int, _ y: Int, _ channel: Int) -> Int {
        precondition(x >= 0 && x < width && y >= 0 && y < height && channel >= 0 && channel < layout.channels,
                     "Raster: (\(x), \(y), \(channel)) outside \(width)×\(height) \(layout)")
        return (y * width + x) * layout.channels + channel
    }
}
