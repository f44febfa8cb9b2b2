import LeptonCore

/// Per-scan intensity normalisation, applied to gray values in 0…1 before the dataset
/// standardisation, the same way in training, evaluation and classification (it is stored in
/// the model).
///
/// - `window`: with lo and hi the `lowPercentile` and `highPercentile` of the scan's own pixels
///   (nearest rank), v ↦ clamp((v − lo) / (hi − lo), 0, 1). Percentiles 0 and 100 give per-scan
///   min–max; 1 and 99 suit 16-bit scans whose few extreme pixels (markers, collimation) would
///   otherwise squeeze the anatomy into a narrow band. A scan of one value maps to 0.
/// - `invert`: v ↦ 1 − v afterwards, for MONOCHROME1-style scans (bone dark).
public struct IntensityNormalization: Codable, Sendable, Equatable {
    public var window: Bool
    public var lowPercentile: Double
    public var highPercentile: Double
    public var invert: Bool

    public init(window: Bool = false, lowPercentile: Double = 0, highPercentile: Double = 100, invert: Bool = false) {
        self.window = window
        self.lowPercentile = lowPercentile
        self.highPercentile = highPercentile
        self.invert = invert
    }

    /// True when it changes nothing.
    public var isIdentity: Bool { !window && !invert }

    /// Parses `minmax`, `p1-p99` style windows (`LOW-HIGH` percentiles, 0 ≤ LOW < HIGH ≤ 100) or `none`.
    public static func parseWindow(_ text: String) -> (low: Double, high: Double)?? {
        if text == "none" { return .some(nil) }
        if text == "minmax" { return (0, 100) }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { $0.hasPrefix("p") ? $0.dropFirst() : $0 }
        guard parts.count == 2, !parts.contains(where: \.isEmpty), let low = Double(parts[0]), let high = Double(parts[1]), low >= 0, low < high, high <= 100 else { return nil }
        return (low, high)
    }

    /// One scan's pixels, normalised.
    public func apply(_ pixels: [Float]) -> [Float] {
        var out = pixels
        if window, !pixels.isEmpty {
            let sorted = pixels.filter { !$0.isNaN }.sorted()
            if sorted.isEmpty { return pixels.map { _ in 0 } }
            func rank(_ p: Double) -> Float { sorted[min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count - 1)).rounded())))] }
            let (lo, hi) = (rank(lowPercentile), rank(highPercentile))
            let span = hi - lo
            out = pixels.map { v in span > 0 && span.isFinite ? min(1, max(0, (v - lo) / span)) : 0 }
        }
        if invert { out = out.map { 1 - $0 } }
        return out
    }

    /// Every scan of a batch (N, 1, H, W), normalised.
    public func apply(batch images: Tensor) -> Tensor {
        guard !isIdentity else { return images }
        let size = images.shape.dropFirst().reduce(1, *), source = images.scalars
        var out: [Float] = []
        out.reserveCapacity(source.count)
        for i in 0..<images.shape[0] { out += apply(Array(source[(i * size)..<((i + 1) * size)])) }
        return Tensor(shape: images.shape, scalars: out)
    }
}

extension ImageFolder {
    /// The same scans with `intensity` applied to each.
    public func normalized(_ intensity: IntensityNormalization) -> ImageFolder {
        ImageFolder(classNames: classNames, images: intensity.apply(batch: images), labels: labels, paths: paths, patients: patients)
    }
}
