/// Where a report came from, printed in its header so that it can be traced to what made it.
public struct Provenance: Sendable, Equatable {
    /// The executable, such as `lepton-credit`.
    public var tool: String
    public var toolVersion: String
    /// The model file the report describes or used.
    public var modelFile: String?
    /// The data file the report's numbers come from.
    public var dataFile: String?
    /// A fingerprint of the data (a hash of the file's bytes), to tell same-named files apart.
    public var dataFingerprint: String?
    public var seed: UInt64?
    /// The command line that produced the report.
    public var command: String?
    /// When the report was made (ISO 8601), supplied by the caller so that tests stay reproducible.
    public var created: String?
    /// More name–value lines for the header.
    public var extra: [Entry]

    /// One extra header line.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(tool: String, toolVersion: String, modelFile: String? = nil, dataFile: String? = nil,
                dataFingerprint: String? = nil, seed: UInt64? = nil, command: String? = nil, created: String? = nil,
                extra: [Entry] = []) {
        self.tool = tool
        self.toolVersion = toolVersion
        self.modelFile = modelFile
        self.dataFile = dataFile
        self.dataFingerprint = dataFingerprint
        self.seed = seed
        self.command = command
        self.created = created
        self.extra = extra
    }

    /// The header lines in display order; absent items are shown as "—" for the fixed ones
    /// (model, data, fingerprint, seed) so that a missing one is visible.
    public var entries: [Entry] {
        var lines = [Entry("Model file", modelFile ?? "—"), Entry("Data file", dataFile ?? "—"),
                     Entry("Data fingerprint", dataFingerprint ?? "—"), Entry("Seed", seed.map(String.init) ?? "—"),
                     Entry("Tool", "\(tool) \(toolVersion)")]
        if let command { lines.append(Entry("Command", command)) }
        if let created { lines.append(Entry("Created", created)) }
        return lines + extra
    }
}

/// A report: a title, its provenance header and a sequence of blocks (headings, text, tables,
/// figures), rendered as one self-contained HTML file (inline CSS and SVG, images as data
/// URLs, no scripts, no external references) or as Markdown with the figures as SVG files
/// beside it.
///
/// ```swift
/// var report = Report(title: "Credit model evaluation", provenance: provenance)
/// report.addHeading("Discrimination")
/// report.addFigure(ROCChart(curves: [roc], operatingPoint: OperatingPoint(.threshold(0.42))),
///                  caption: "ROC on the hold-out set")
/// report.addTable(metrics)
/// let html = report.html()
/// ```
public struct Report: Sendable {
    public var title: String
    public var provenance: Provenance
    public private(set) var blocks: [Block] = []

    /// One piece of a report.
    public enum Block: Sendable {
        case heading(String)
        case paragraph(String)
        /// A highlighted line for the key results ("AUC 0.874 [0.861, 0.887]").
        case callout(String)
        case table(Table)
        case figure(any Chart, caption: String)
    }

    public init(title: String, provenance: Provenance) {
        self.title = title
        self.provenance = provenance
    }

    public mutating func addHeading(_ text: String) { blocks.append(.heading(text)) }
    public mutating func addParagraph(_ text: String) { blocks.append(.paragraph(text)) }
    public mutating func addCallout(_ text: String) { blocks.append(.callout(text)) }
    public mutating func addTable(_ table: Table) { blocks.append(.table(table)) }
    public mutating func addFigure(_ chart: any Chart, caption: String) { blocks.append(.figure(chart, caption: caption)) }

    // MARK: - HTML

    static let css = """
    :root { color-scheme: light; }
    body { font-family: "DejaVu Sans", Verdana, Arial, Helvetica, sans-serif; color: #222; background: #fff;
           margin: 0 auto; max-width: 880px; padding: 24px 28px 48px; line-height: 1.45; font-size: 15px; }
    h1 { font-size: 24px; margin: 0 0 12px; }
    h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
    header.provenance { background: #f6f7f9; border: 1px solid #e1e4e8; border-radius: 6px; padding: 10px 14px; margin-bottom: 20px; }
    header.provenance dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; font-size: 13px; }
    header.provenance dt { color: #555; }
    header.provenance dd { margin: 0; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; overflow-wrap: anywhere; }
    p.callout { background: #eef5fb; border-left: 4px solid #0072B2; padding: 8px 12px; font-weight: bold; }
    figure { margin: 20px 0; }
    figure svg { max-width: 100%; height: auto; display: block; }
    figcaption { color: #555; font-size: 13px; margin-top: 4px; }
    table { border-collapse: collapse; margin: 12px 0; font-size: 14px; }
    caption { text-align: left; color: #555; font-size: 13px; padding-bottom: 4px; }
    th, td { padding: 4px 12px; border-bottom: 1px solid #e4e4e4; }
    th { text-align: left; border-bottom: 2px solid #bbb; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    footer { margin-top: 36px; color: #777; font-size: 12px; }
    @media print { body { max-width: none; } figure { break-inside: avoid; } }
    """

    /// The report as one self-contained HTML document.
    public func html() -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<meta name=\"generator\" content=\"\(escapeXML(provenance.tool)) \(escapeXML(provenance.toolVersion))\">\n"
        out += "<title>\(escapeXML(title))</title>\n<style>\n\(Self.css)\n</style>\n</head>\n<body>\n"
        out += "<h1>\(escapeXML(title))</h1>\n<header class=\"provenance\">\n<dl>\n"
        for entry in provenance.entries {
            out += "<dt>\(escapeXML(entry.name))</dt><dd>\(escapeXML(entry.value))</dd>\n"
        }
        out += "</dl>\n</header>\n<main>\n"
        var figureNumber = 0
        for block in blocks {
            switch block {
            case let .heading(text):
                out += "<h2>\(escapeXML(text))</h2>\n"
            case let .paragraph(text):
                out += "<p>\(escapeXML(text))</p>\n"
            case let .callout(text):
                out += "<p class=\"callout\">\(escapeXML(text))</p>\n"
            case let .table(table):
                out += Self.htmlTable(table)
            case let .figure(chart, caption):
                figureNumber += 1
                out += "<figure id=\"figure-\(figureNumber)\">\n"
                out += Self.inlineSVG(chart.svg())
                out += "<figcaption>Figure \(figureNumber). \(escapeXML(caption))</figcaption>\n</figure>\n"
            }
        }
        out += "</main>\n<footer>Made by \(escapeXML(provenance.tool)) \(escapeXML(provenance.toolVersion))"
        if let created = provenance.created { out += " on \(escapeXML(created))" }
        out += ".</footer>\n</body>\n</html>\n"
        return out
    }

    /// An SVG document without its XML prolog, for inlining into HTML.
    static func inlineSVG(_ svg: String) -> String {
        if svg.hasPrefix("<?xml"), let end = svg.firstIndex(of: "\n") { return String(svg[svg.index(after: end)...]) }
        return svg
    }

    static func htmlTable(_ table: Table) -> String {
        var out = "<table>\n"
        if let caption = table.caption { out += "<caption>\(escapeXML(caption))</caption>\n" }
        out += "<thead><tr>"
        for (i, column) in table.columns.enumerated() {
            out += table.isNumeric(i) ? "<th class=\"num\">" : "<th>"
            out += "\(escapeXML(column.title))</th>"
        }
        out += "</tr></thead>\n<tbody>\n"
        for r in table.rows.indices {
            out += "<tr>"
            for c in table.columns.indices {
                out += table.isNumeric(c) ? "<td class=\"num\">" : "<td>"
                out += "\(escapeXML(table.text(row: r, column: c)))</td>"
            }
            out += "</tr>\n"
        }
        out += "</tbody>\n</table>\n"
        return out
    }

    // MARK: - Markdown

    /// A Markdown rendering: the text and the figure files it links to.
    public struct Markdown: Sendable {
        /// The Markdown document.
        public var text: String
        /// Figure files to write beside it: a path relative to the Markdown file, and the SVG.
        public var figures: [(path: String, svg: String)]
    }

    /// The report as Markdown; figures are linked as `figuresFolder/figure-N.svg`.
    public func markdown(figuresFolder: String) -> Markdown {
        var out = "# \(Self.markdownEscaped(title))\n\n"
        out += "| | |\n|---|---|\n"
        for entry in provenance.entries {
            out += "| \(Self.markdownEscaped(entry.name)) | `\(entry.value.replacingOccurrences("`", with: "'"))` |\n"
        }
        out += "\n"
        var figures: [(path: String, svg: String)] = []
        for block in blocks {
            switch block {
            case let .heading(text):
                out += "## \(Self.markdownEscaped(text))\n\n"
            case let .paragraph(text):
                out += "\(Self.markdownEscaped(text))\n\n"
            case let .callout(text):
                out += "> **\(Self.markdownEscaped(text))**\n\n"
            case let .table(table):
                out += Self.markdownTable(table) + "\n"
            case let .figure(chart, caption):
                let path = "\(figuresFolder)/figure-\(figures.count + 1).svg"
                figures.append((path, chart.svg()))
                out += "![\(Self.markdownEscaped(chart.title))](\(path))\n\n"
                out += "*Figure \(figures.count). \(Self.markdownEscaped(caption))*\n\n"
            }
        }
        out += "---\nMade by \(provenance.tool) \(provenance.toolVersion)\(provenance.created.map { " on " + $0 } ?? "").\n"
        return Markdown(text: out, figures: figures)
    }

    /// A pipe table padded so that columns line up in the plain text too; numbers right-aligned.
    static func markdownTable(_ table: Table) -> String {
        var out = ""
        if let caption = table.caption { out += "*\(markdownEscaped(caption))*\n\n" }
        let header = table.columns.map { markdownCell($0.title) }
        let body = table.rows.indices.map { r in table.columns.indices.map { markdownCell(table.text(row: r, column: $0)) } }
        let widths = table.columns.indices.map { c in max(3, ([header[c]] + body.map { $0[c] }).map(\.count).max() ?? 3) }
        func pad(_ s: String, _ c: Int) -> String {
            let fill = String(repeating: " ", count: widths[c] - s.count)
            return table.isNumeric(c) ? fill + s : s + fill
        }
        out += "| " + header.indices.map { pad(header[$0], $0) }.joined(separator: " | ") + " |\n"
        out += "|" + table.columns.indices.map { c in
            table.isNumeric(c) ? " " + String(repeating: "-", count: widths[c] - 1) + ": " : " " + String(repeating: "-", count: widths[c]) + " "
        }.joined(separator: "|") + "|\n"
        for row in body {
            out += "| " + row.indices.map { pad(row[$0], $0) }.joined(separator: " | ") + " |\n"
        }
        return out
    }

    static func markdownCell(_ text: String) -> String {
        text.replacingOccurrences("|", with: "\\|").replacingOccurrences("\n", with: " ")
    }

    /// Escapes the characters that would start Markdown markup inside running text.
    static func markdownEscaped(_ text: String) -> String {
        var out = ""
        for c in text {
            if "\\`*_[]<>|#".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }
}

extension String {
    /// Every occurrence of `target` replaced by `replacement` (no Foundation needed).
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        out += rest
        return out
    }
}
