/// Builds an SVG document as text: elements with escaped attributes, coordinates rounded to
/// hundredths of a pixel so files stay small and byte-for-byte reproducible.
struct SVGWriter {
    let width: Double
    let height: Double
    private(set) var body = ""

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// Opens `<tag attributes…>`.
    mutating func open(_ tag: String, _ attributes: [(String, String)] = []) {
        body += "<\(tag)\(Self.attributeText(attributes))>\n"
    }

    /// Closes `</tag>`.
    mutating func close(_ tag: String) {
        body += "</\(tag)>\n"
    }

    /// A leaf element; with `text`, the text is escaped and placed inside.
    mutating func element(_ tag: String, _ attributes: [(String, String)], text: String? = nil) {
        if let text {
            body += "<\(tag)\(Self.attributeText(attributes))>\(escapeXML(text))</\(tag)>\n"
        } else {
            body += "<\(tag)\(Self.attributeText(attributes))/>\n"
        }
    }

    /// Text at (x, y) with the house font settings.
    mutating func text(_ content: String, x: Double, y: Double, size: Double = ChartStyle.fontSize,
                       anchor: TextAnchor = .start, weight: String? = nil, color: String = ChartStyle.textColor,
                       rotate: Double? = nil, halo: Bool = false, extra: [(String, String)] = []) {
        var attributes: [(String, String)] = [("x", svgNumber(x)), ("y", svgNumber(y))]
        if size != ChartStyle.fontSize { attributes.append(("font-size", svgNumber(size))) }
        if anchor != .start { attributes.append(("text-anchor", anchor.rawValue)) }
        if let weight { attributes.append(("font-weight", weight)) }
        if color != ChartStyle.textColor { attributes.append(("fill", color)) }
        if let rotate { attributes.append(("transform", "rotate(\(svgNumber(rotate)) \(svgNumber(x)) \(svgNumber(y)))")) }
        if halo {
            attributes += [("stroke", "#ffffff"), ("stroke-width", "3"), ("stroke-linejoin", "round"), ("paint-order", "stroke")]
        }
        element("text", attributes + extra, text: content)
    }

    /// The whole document, with an accessible title and description.
    func document(title: String, description: String?) -> String {
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\""
        out += " viewBox=\"0 0 \(svgNumber(width)) \(svgNumber(height))\" role=\"img\""
        out += " font-family=\"\(ChartStyle.fontFamily)\" font-size=\"\(svgNumber(ChartStyle.fontSize))\">\n"
        out += "<title>\(escapeXML(title))</title>\n"
        if let description, !description.isEmpty { out += "<desc>\(escapeXML(description))</desc>\n" }
        out += "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\" fill=\"#ffffff\"/>\n"
        out += body
        out += "</svg>\n"
        return out
    }

    static func attributeText(_ attributes: [(String, String)]) -> String {
        var out = ""
        for (name, value) in attributes { out += " \(name)=\"\(escapeXML(value))\"" }
        return out
    }
}

/// SVG `text-anchor` values.
enum TextAnchor: String {
    case start, middle, end
}

/// Escapes text for XML content and attribute values (`& < > " '`).
func escapeXML(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default:
            // Control characters other than tab, LF and CR are not allowed in XML 1.0.
            if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r" {
                out += " "
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}

/// A coordinate or length for SVG: at most two decimals, no trailing zeros, never `-0`,
/// and `0` for non-finite values (which SVG cannot express).
func svgNumber(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let hundredths = (value * 100).rounded()
    if hundredths == 0 { return "0" }
    let negative = hundredths < 0
    let magnitude = Int64(abs(hundredths))
    let whole = magnitude / 100, fraction = magnitude % 100
    var text = negative ? "-" : ""
    text += String(whole)
    if fraction != 0 {
        text += fraction % 10 == 0 ? ".\(fraction / 10)" : (fraction < 10 ? ".0\(fraction)" : ".\(fraction)")
    }
    return text
}

/// A path through `points` (pixel coordinates) as `M x y L x y …`.
func svgPath(_ points: [(x: Double, y: Double)]) -> String {
    var d = ""
    for (i, p) in points.enumerated() {
        d += (i == 0 ? "M" : " L") + "\(svgNumber(p.x)) \(svgNumber(p.y))"
    }
    return d
}
