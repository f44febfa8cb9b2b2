/// How ``Raster/resized(width:height:filter:fit:)`` computes each output sample.
public enum ResizeFilter: Sendable, Equatable {
    /// Box filter: each output pixel is the area-weighted mean of the source pixels its
    /// footprint covers (fractions of pixels at the edges count by their covered fraction).
    /// The right choice for down-scaling by any factor, integer or not.
    case area
    /// Bilinear interpolation between the four nearest source pixel centres, with
    /// pixel-centre alignment (`source = (x + 0.5) · scale − 0.5`, clamped at the edges).
    /// Good for up-scaling and mild down-scaling; it aliases when shrinking by more than 2×.
    case bilinear
}

/// How the source's aspect ratio is treated when the target has a different one.
public enum ResizeFit: Sendable, Equatable {
    /// Scale each axis independently to fill the target exactly (aspect ratio may change).
    case stretch
    /// Keep the aspect ratio: scale the whole image to fit inside the target, centred, and
    /// fill the uncovered bands with `padding` (every channel).
    case letterbox(padding: Float)
    /// Keep the aspect ratio: scale to cover the target and cut off what overflows,
    /// keeping the centre.
    case centerCrop
}

extension Raster where Sample == Float {
    /// This image resampled to `width × height`, same layout, every channel alike.
    ///
    /// Letterbox: the scaled image is `round(W·s) × round(H·s)` (at least 1×1) with
    /// `s = min(width / W, height / H)`, placed at `((width − w) / 2, (height − h) / 2)`
    /// rounded down. Centre crop: the source window `width / s × height / s` with
    /// `s = max(width / W, height / H)`, centred (fractional edges weigh by their coverage
    /// with ``ResizeFilter/area``), fills the whole target.
    public func resized(width targetWidth: Int, height targetHeight: Int,
                        filter: ResizeFilter = .area, fit: ResizeFit = .stretch) -> Raster<Float> {
        precondition(targetWidth > 0 && targetHeight > 0, "resized: target \(targetWidth)×\(targetHeight) must be at least 1×1")
        precondition(width > 0 && height > 0, "resized: the source \(width)×\(height) is empty")
        let sourceWidth = Double(width), sourceHeight = Double(height)
        switch fit {
        case .stretch:
            return Resampler.resample(self, window: SourceWindow(x: 0, y: 0, width: sourceWidth, height: sourceHeight),
                                      width: targetWidth, height: targetHeight, filter: filter)
        case .centerCrop:
            let scale = max(Double(targetWidth) / sourceWidth, Double(targetHeight) / sourceHeight)
            let windowWidth = min(Double(targetWidth) / scale, sourceWidth)
            let windowHeight = min(Double(targetHeight) / scale, sourceHeight)
            let window = SourceWindow(x: (sourceWidth - windowWidth) / 2, y: (sourceHeight - windowHeight) / 2,
                                      width: windowWidth, height: windowHeight)
            return Resampler.resample(self, window: window, width: targetWidth, height: targetHeight, filter: filter)
        case let .letterbox(padding):
            let scale = min(Double(targetWidth) / sourceWidth, Double(targetHeight) / sourceHeight)
            let innerWidth = min(targetWidth, max(1, Int((sourceWidth * scale).rounded())))
            let innerHeight = min(targetHeight, max(1, Int((sourceHeight * scale).rounded())))
            let inner = Resampler.resample(self, window: SourceWindow(x: 0, y: 0, width: sourceWidth, height: sourceHeight),
                                           width: innerWidth, height: innerHeight, filter: filter)
            var result = Raster(width: targetWidth, height: targetHeight, layout: layout, repeating: padding)
            let left = (targetWidth - innerWidth) / 2, top = (targetHeight - innerHeight) / 2
            let channels = layout.channels
            for y in 0..<innerHeight {
                let from = y * innerWidth * channels, to = ((top + y) * targetWidth + left) * channels
                result.pixels.replaceSubrange(to..<to + innerWidth * channels,
                                              with: inner.pixels[from..<from + innerWidth * channels])
            }
            return result
        }
    }
}

/// A rectangle of the source in pixel units (pixel `i` spans `[i, i + 1)`), possibly fractional.
struct SourceWindow {
    var x: Double, y: Double, width: Double, height: Double
}

/// Separable resampling: every output column (row) is a weighted sum of a short run of
/// source columns (rows); the weights are worked out once per axis, then applied
/// horizontally into a scratch image and vertically into the result.
enum Resampler {
    /// The source run and weights for one output position along one axis.
    struct Taps {
        var first: Int
        var weights: [Float]
    }

    static func resample(_ source: Raster<Float>, window: SourceWindow, width: Int, height: Int,
                         filter: ResizeFilter) -> Raster<Float> {
        let columns = taps(filter, sourceCount: source.width, start: window.x, length: window.width, outputCount: width)
        let rows = taps(filter, sourceCount: source.height, start: window.y, length: window.height, outputCount: height)
        let channels = source.layout.channels
        // Horizontal pass: source.height rows × width columns.
        var horizontal = [Float](repeating: 0, count: source.height * width * channels)
        for y in 0..<source.height {
            let sourceRow = y * source.width * channels, outRow = y * width * channels
            for (x, tap) in columns.enumerated() {
                for c in 0..<channels {
                    var sum: Float = 0
                    for (k, weight) in tap.weights.enumerated() {
                        sum += weight * source.pixels[sourceRow + (tap.first + k) * channels + c]
                    }
                    horizontal[outRow + x * channels + c] = sum
                }
            }
        }
        // Vertical pass: height rows × width columns.
        let rowLength = width * channels
        var result = [Float](repeating: 0, count: height * rowLength)
        for (y, tap) in rows.enumerated() {
            let outRow = y * rowLength
            for (k, weight) in tap.weights.enumerated() {
                let sourceRow = (tap.first + k) * rowLength
                for i in 0..<rowLength { result[outRow + i] += weight * horizontal[sourceRow + i] }
            }
        }
        return Raster(width: width, height: height, layout: source.layout, pixels: result)
    }

    /// Per output position, which source pixels contribute and how much (weights sum to 1).
    static func taps(_ filter: ResizeFilter, sourceCount: Int, start: Double, length: Double, outputCount: Int) -> [Taps] {
        let scale = length / Double(outputCount)
        return (0..<outputCount).map { i in
            switch filter {
            case .area:
                // Footprint [lo, hi) in source pixel units; pixel j weighs |[j, j+1) ∩ [lo, hi)| / (hi − lo).
                let lo = start + Double(i) * scale, hi = start + Double(i + 1) * scale
                let first = max(0, Int(lo.rounded(.down)))
                let last = min(sourceCount - 1, max(first, Int(hi.rounded(.up)) - 1))
                let weights = (first...last).map { j in
                    Float((min(hi, Double(j + 1)) - max(lo, Double(j))) / (hi - lo))
                }
                return Taps(first: first, weights: weights)
            case .bilinear:
                let centre = min(max(start + (Double(i) + 0.5) * scale - 0.5, 0), Double(sourceCount - 1))
                let left = min(Int(centre.rounded(.down)), max(sourceCount - 2, 0))
                let fraction = Float(centre - Double(left))
                return sourceCount == 1 ? Taps(first: 0, weights: [1]) : Taps(first: left, weights: [1 - fraction, fraction])
            }
        }
    }
}
