import LeptonIO

/// The input size scans are brought to, and how their aspect ratio is treated: `stretch`
/// (each axis scaled alone), `letterbox` (the whole scan, centred, bands filled with 0) or
/// `crop` (the centre, scaled to cover). Area filter throughout. Stored in the model, so
/// evaluation and classification resize new scans the same way.
public struct ScanResize: Codable, Sendable, Equatable {
    public enum Fit: String, Codable, Sendable, CaseIterable { case stretch, letterbox, crop }
    public var width: Int
    public var height: Int
    public var fit: Fit

    public init(width: Int, height: Int, fit: Fit = .stretch) {
        self.width = width
        self.height = height
        self.fit = fit
    }

    /// Parses `N` (square) or `WxH`, each 1…4096.
    public static func parseSize(_ text: String) -> (width: Int, height: Int)? {
        let fields = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        let parts = fields.compactMap { Int($0) }
        guard (1...2).contains(parts.count), parts.count == fields.count,
              parts.allSatisfy({ (1...4096).contains($0) }) else { return nil }
        return (parts[0], parts.count == 2 ? parts[1] : parts[0])
    }

    /// `raster` at this size (unchanged when it already has it).
    public func apply(_ raster: Raster<Float>) -> Raster<Float> {
        guard raster.width != width || raster.height != height else { return raster }
        let mode: ResizeFit
        switch fit {
        case .stretch: mode = .stretch
        case .letterbox: mode = .letterbox(padding: 0)
        case .crop: mode = .centerCrop
        }
        return raster.resized(width: width, height: height, filter: .area, fit: mode)
    }
}
