import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// A parsed XML element, enough to check what a chart drew.
final class XMLNode {
    let name: String
    let attributes: [String: String]
    var children: [XMLNode] = []
    var text = ""
    weak var parent: XMLNode?

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    /// This element and every element under it, in document order.
    var all: [XMLNode] { [self] + children.flatMap(\.all) }

    /// Elements named `name` whose class list contains `cls` (when given).
    func find(_ name: String? = nil, class cls: String? = nil) -> [XMLNode] {
        all.filter { node in
            (name == nil || node.name == name) &&
                (cls == nil || (node.attributes["class"] ?? "").split(separator: " ").contains(Substring(cls!)))
        }
    }

    func double(_ attribute: String) -> Double? { attributes[attribute].flatMap(Double.init) }
}

/// Parses `text` as XML with Foundation's parser; fails the test when it is not well-formed.
func parseXML(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> XMLNode {
    final class Builder: NSObject, XMLParserDelegate {
        var root: XMLNode?
        var stack: [XMLNode] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            let node = XMLNode(name: name, attributes: attributes)
            if let top = stack.last {
                top.children.append(node)
                node.parent = top
            } else {
                root = node
            }
            stack.append(node)
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }
    }
    let parser = XMLParser(data: Data(text.utf8))
    let builder = Builder()
    parser.delegate = builder
    guard parser.parse(), let root = builder.root else {
        let error = parser.parserError.map { "\($0)" } ?? "no root element"
        XCTFail("not well-formed XML (line \(parser.lineNumber), column \(parser.columnNumber)): \(error)", file: file, line: line)
        throw XCTSkip("XML did not parse")
    }
    return root
}

/// Maps pixel coordinates of a plot back to data, from the `data-box` and `data-*-domain`
/// attributes of its plot-area group (linear scales only).
struct PlotFrame {
    let left, top, right, bottom: Double
    let xLow, xHigh, yLow, yHigh: Double

    init(_ svg: XMLNode) throws {
        let area = try XCTUnwrap(svg.find("g", class: "plot-area").first, "no plot area")
        let box = try XCTUnwrap(area.attributes["data-box"]).split(separator: " ").compactMap { Double($0) }
        let xd = try XCTUnwrap(area.attributes["data-x-domain"]).split(separator: " ").compactMap { Double($0) }
        let yd = try XCTUnwrap(area.attributes["data-y-domain"]).split(separator: " ").compactMap { Double($0) }
        (left, top, right, bottom) = (box[0], box[1], box[2], box[3])
        (xLow, xHigh, yLow, yHigh) = (xd[0], xd[1], yd[0], yd[1])
    }

    func data(x px: Double, y py: Double) -> (x: Double, y: Double) {
        (xLow + (px - left) / (right - left) * (xHigh - xLow), yLow + (bottom - py) / (bottom - top) * (yHigh - yLow))
    }

    /// Data-space tolerance of half a hundredth of a pixel rounding, plus slack.
    var xTolerance: Double { (xHigh - xLow) / (right - left) * 0.02 }
    var yTolerance: Double { (yHigh - yLow) / (bottom - top) * 0.02 }
}

/// The points of an SVG path made of `M x y` and `L x y` commands.
func pathPoints(_ d: String) -> [(x: Double, y: Double)] {
    let numbers = d.split(whereSeparator: { $0 == " " || $0 == "M" || $0 == "L" }).compactMap { Double($0) }
    return stride(from: 0, to: numbers.count - 1, by: 2).map { (numbers[$0], numbers[$0 + 1]) }
}
