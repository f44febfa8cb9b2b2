/// The house look shared by every chart: fonts, greys and a colour-blind-safe palette.
///
/// Series colours follow Okabe & Ito ("Color Universal Design", 2008), which stay
/// distinguishable under the common forms of colour blindness; the pale yellow of that set
/// comes last because it is hard to see on white.
public enum ChartStyle {
    /// Series colours in the order charts use them.
    public static let palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"]
    /// The colour of series `index` (wrapping around the palette).
    public static func color(_ index: Int) -> String { palette[((index % palette.count) + palette.count) % palette.count] }

    /// Colour that draws attention (violations, the chosen operating point): Okabe–Ito vermillion.
    public static let alertColor = "#D55E00"
    /// Grey for context: dominated points, reference diagonals.
    public static let mutedColor = "#9A9A9A"
    /// Text and strong lines.
    public static let textColor = "#222222"
    /// Subtitles and captions.
    public static let secondaryTextColor = "#555555"
    /// Axes, ticks and default reference lines.
    public static let axisColor = "#444444"
    /// Grid lines.
    public static let gridColor = "#E4E4E4"
    static let fontFamily = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
    static let fontSize = 12.0
    static let titleSize = 15.0
    static let labelSize = 12.0
    static let tickSize = 11.0
}

/// The size of a chart in CSS pixels.
public struct ChartSize: Sendable, Equatable {
    public var width: Double
    public var height: Double
    public init(width: Double, height: Double) {
        precondition(width >= 200 && height >= 150, "ChartSize: at least 200 × 150 pixels")
        self.width = width
        self.height = height
    }
    /// 640 × 420, the default for most charts.
    public static let standard = ChartSize(width: 640, height: 420)
    /// 520 × 480, for unit-square charts (ROC, calibration).
    public static let square = ChartSize(width: 520, height: 500)
    /// 760 × 400, for time series such as control charts.
    public static let wide = ChartSize(width: 800, height: 400)
}

/// A chart that renders itself as a standalone SVG document.
public protocol Chart: Sendable {
    /// The chart's title, also used as the figure's accessible name.
    var title: String { get }
    /// The chart as a complete SVG document (UTF-8 text, no external references).
    func svg() -> String
}

/// Approximate text widths for layout, from the advance widths of DejaVu Sans (the font
/// Debian and the charts' CSS fall back to); Verdana is about as wide and Arial narrower, so
/// room measured this way is enough for all three.
enum TextMetrics {
    /// Advance widths of printable ASCII (0x20…0x7E) in 1/2048 em.
    private static let ascii: [Int] = [
        651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690, // space … /
        1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690, 690, 1716, 1716, 1716, 1087, // 0 … ?
        2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604, 604, 1343, 1141, 1767, 1532, 1612, // @ … O
        1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799, 690, 799, 1716, 1024, // P … _
        1024, 1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186, 569, 1995, 1298, 1253, // ` … o
        1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075, 1303, 690, 1303, 1716,      // p … ~
    ]

    /// The width in pixels of `text` set at `size` pixels (bold adds about 10 %).
    static func width(_ text: String, size: Double, bold: Bool = false) -> Double {
        var units = 0
        for scalar in text.unicodeScalars {
            let v = Int(scalar.value)
            if v >= 0x20 && v <= 0x7E {
                units += ascii[v - 0x20]
            } else if v == 0x2013 || v == 0x2212 || v == 0xB1 || v == 0xD7 {
                units += 1716  // en dash, minus, ±, ×
            } else if v == 0x2014 || v == 0x2026 {
                units += 2048  // em dash, ellipsis
            } else {
                units += 1400  // accented letters, Greek, …: a generous average
            }
        }
        return Double(units) / 2048 * size * (bold ? 1.1 : 1)
    }

    /// `text` shortened with an ellipsis so that it fits `width` pixels.
    static func truncated(_ text: String, toWidth width: Double, size: Double) -> String {
        if Self.width(text, size: size) <= width { return text }
        var characters = Array(text)
        while !characters.isEmpty && Self.width(String(characters) + "…", size: size) > width { characters.removeLast() }
        return String(characters) + "…"
    }

    /// `text` broken at spaces into lines no wider than `width` pixels (a long word stays whole).
    static func wrapped(_ text: String, toWidth width: Double, size: Double) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if Self.width(candidate, size: size) <= width || current.isEmpty {
                current = candidate
            } else {
                lines.append(current)
                current = String(word)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
