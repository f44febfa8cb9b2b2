/// One cell of an ``ImageGrid``: an encoded PNG, optionally with a second PNG drawn over it
/// (a saliency or heat map with its own transparency), and a caption.
public struct ImageTile: Sendable, Equatable {
    /// PNG file bytes, embedded as they are (base64) in the SVG.
    public var png: [UInt8]
    /// A PNG drawn over the image at ``overlayOpacity`` (same aspect ratio as the image).
    public var overlay: [UInt8]?
    public var overlayOpacity: Double
    /// Up to two lines under the image.
    public var caption: String
    /// Frames the tile in the alert colour (a misclassified scan, a failed part).
    public var highlighted: Bool

    public init(png: [UInt8], overlay: [UInt8]? = nil, overlayOpacity: Double = 0.5, caption: String = "",
                highlighted: Bool = false) {
        self.png = png
        self.overlay = overlay
        self.overlayOpacity = overlayOpacity
        self.caption = caption
        self.highlighted = highlighted
    }
}

/// Images in a grid with captions (scans with saliency overlays, defect photos). PNGs are
/// embedded, so the SVG stays self-contained; each image keeps its aspect ratio inside its cell.
public struct ImageGrid: Chart {
    public var title: String
    public var subtitle: String?
    public var tiles: [ImageTile]
    public var columns: Int
    /// Width and height of each image cell in pixels.
    public var tileSize: Double
    /// Shows enlarged pixels as crisp squares (small scans) rather than smoothed.
    public var pixelated: Bool

    public init(title: String, subtitle: String? = nil, tiles: [ImageTile], columns: Int = 4, tileSize: Double = 160,
                pixelated: Bool = false) {
        precondition(columns >= 1 && tileSize >= 32, "ImageGrid: at least one column of 32-pixel tiles")
        self.title = title
        self.subtitle = subtitle
        self.tiles = tiles
        self.columns = columns
        self.tileSize = tileSize
        self.pixelated = pixelated
    }

    /// Width and height from a PNG's IHDR chunk, or nil when the bytes are not a PNG.
    public static func pngSize(_ png: [UInt8]) -> (width: Int, height: Int)? {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard png.count >= 24, Array(png[0..<8]) == signature, png[12...15].elementsEqual("IHDR".utf8) else { return nil }
        func be32(_ o: Int) -> Int { Int(png[o]) << 24 | Int(png[o + 1]) << 16 | Int(png[o + 2]) << 8 | Int(png[o + 3]) }
        let w = be32(16), h = be32(20)
        return w > 0 && h > 0 ? (w, h) : nil
    }

    public func svg() -> String {
        let padding = 14.0, gap = 12.0, captionLine = 15.0
        let columns = max(1, min(self.columns, max(tiles.count, 1)))
        let width = padding * 2 + Double(columns) * tileSize + Double(columns - 1) * gap
        let titleLines = TextMetrics.wrapped(title, toWidth: width - 2 * padding, size: ChartStyle.titleSize)
        let subtitleLines = subtitle.map { TextMetrics.wrapped($0, toWidth: width - 2 * padding, size: ChartStyle.fontSize) } ?? []
        let top = padding + Double(titleLines.count) * (ChartStyle.titleSize + 5) + Double(subtitleLines.count) * 16 + 6
        let captions = tiles.map { tile -> [String] in
            let lines = TextMetrics.wrapped(tile.caption, toWidth: tileSize, size: ChartStyle.tickSize)
            var kept = Array(lines.prefix(2))
            if lines.count > 2 { kept[1] = TextMetrics.truncated(kept[1] + " " + lines[2...].joined(separator: " "), toWidth: tileSize, size: ChartStyle.tickSize) }
            return kept.map { TextMetrics.truncated($0, toWidth: tileSize, size: ChartStyle.tickSize) }
        }
        let captionHeight = Double(captions.map(\.count).max() ?? 0) * captionLine + 6
        let rowHeight = tileSize + captionHeight + gap
        let rows = (tiles.count + columns - 1) / columns
        let height = top + Double(max(rows, 1)) * rowHeight + padding - gap

        var svg = SVGWriter(width: width, height: height)
        var y = padding + ChartStyle.titleSize
        for line in titleLines {
            svg.text(line, x: padding, y: y, size: ChartStyle.titleSize, weight: "bold", extra: [("class", "chart-title")])
            y += ChartStyle.titleSize + 5
        }
        for line in subtitleLines {
            svg.text(line, x: padding, y: y - 2, color: ChartStyle.secondaryTextColor, extra: [("class", "chart-subtitle")])
            y += 16
        }
        let rendering: [(String, String)] = pixelated ? [("style", "image-rendering:pixelated")] : []
        for (i, tile) in tiles.enumerated() {
            let cx = padding + Double(i % columns) * (tileSize + gap)
            let cy = top + Double(i / columns) * rowHeight
            svg.open("g", [("class", "tile")])
            svg.element("rect", [("x", svgNumber(cx)), ("y", svgNumber(cy)), ("width", svgNumber(tileSize)),
                                 ("height", svgNumber(tileSize)), ("fill", "#f2f2f2")])
            if let size = Self.pngSize(tile.png) {
                let scale = min(tileSize / Double(size.width), tileSize / Double(size.height))
                let w = Double(size.width) * scale, h = Double(size.height) * scale
                let ix = cx + (tileSize - w) / 2, iy = cy + (tileSize - h) / 2
                let frame: [(String, String)] = [("x", svgNumber(ix)), ("y", svgNumber(iy)), ("width", svgNumber(w)), ("height", svgNumber(h))]
                svg.element("image", frame + [("class", "image"), ("preserveAspectRatio", "none"),
                                              ("href", "data:image/png;base64," + Base64.encode(tile.png))] + rendering)
                if let overlay = tile.overlay, Self.pngSize(overlay) != nil {
                    svg.element("image", frame + [("class", "overlay"), ("preserveAspectRatio", "none"),
                                                  ("opacity", svgNumber(tile.overlayOpacity)),
                                                  ("href", "data:image/png;base64," + Base64.encode(overlay))] + rendering)
                }
            } else {
                svg.text("not a PNG image", x: cx + tileSize / 2, y: cy + tileSize / 2, size: ChartStyle.tickSize, anchor: .middle,
                         color: ChartStyle.alertColor, extra: [("class", "image-error")])
            }
            if tile.highlighted {
                svg.element("rect", [("class", "highlight"), ("x", svgNumber(cx - 1.5)), ("y", svgNumber(cy - 1.5)),
                                     ("width", svgNumber(tileSize + 3)), ("height", svgNumber(tileSize + 3)), ("fill", "none"),
                                     ("stroke", ChartStyle.alertColor), ("stroke-width", "3")])
            }
            var ty = cy + tileSize + 4 + ChartStyle.tickSize
            for line in captions[i] {
                svg.text(line, x: cx + tileSize / 2, y: ty, size: ChartStyle.tickSize, anchor: .middle,
                         color: tile.highlighted ? ChartStyle.alertColor : ChartStyle.textColor, extra: [("class", "caption")])
                ty += captionLine
            }
            svg.close("g")
        }
        return svg.document(title: title, description: subtitle ?? title)
    }
}

/// Standard base64 (RFC 4648, with padding), for embedding images.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The base64 text of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
