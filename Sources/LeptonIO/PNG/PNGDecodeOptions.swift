/// A solid colour that transparent pixels are composited onto when alpha is dropped.
/// Channels are in 0...1, on the same scale as decoded samples (no gamma conversion).
public struct PNGBackground: Sendable, Equatable {
    /// Red, 0...1.
    public var red: Float
    /// Green, 0...1.
    public var green: Float
    /// Blue, 0...1.
    public var blue: Float

    /// A colour; each channel is clamped to 0...1.
    public init(red: Float, green: Float, blue: Float) {
        self.red = min(max(red, 0), 1)
        self.green = min(max(green, 0), 1)
        self.blue = min(max(blue, 0), 1)
    }

    /// A gray level in 0...1 (all three channels equal).
    public init(gray: Float) { self.init(red: gray, green: gray, blue: gray) }

    /// Black: dropping alpha then gives colour × alpha (premultiplied colour).
    public static let black = PNGBackground(gray: 0)
    /// White.
    public static let white = PNGBackground(gray: 1)

    /// The gray level of this colour, with the weights used for RGB → gray.
    var luma: Float { PNGPixels.luma(red, green, blue) }
}

/// Limits and choices for decoding.
public struct PNGDecodeOptions: Sendable, Equatable {
    /// The most pixels (`width × height`) an image may have. Checked from the header before
    /// any pixel memory is allocated, so a small file declaring a huge image (a
    /// decompression bomb) is refused cheaply. Default 64 megapixels.
    public var maxPixels: Int
    /// The largest file ``PNG/read(path:as:options:)`` will read, in bytes. Default 256 MiB.
    public var maxFileBytes: Int
    /// What transparent pixels are composited onto when the requested layout has no alpha
    /// but the source has (an alpha channel or tRNS). Default black.
    public var background: PNGBackground

    /// Options with the given limits and background.
    public init(maxPixels: Int = 64_000_000, maxFileBytes: Int = 256 << 20, background: PNGBackground = .black) {
        self.maxPixels = maxPixels
        self.maxFileBytes = maxFileBytes
        self.background = background
    }
}
