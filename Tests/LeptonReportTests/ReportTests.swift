import Foundation
@testable import LeptonReport
import XCTest

final class ReportTests: XCTestCase {
    func testHTMLIsSelfContained() throws {
        for (name, report) in SampleReports.all {
            let html = report.html()
            let lower = html.lowercased()
            XCTAssertFalse(lower.contains("<script"), "\(name): no JavaScript")
            XCTAssertFalse(lower.contains("<link"), "\(name): no linked stylesheets")
            XCTAssertFalse(lower.contains("<iframe") || lower.contains("<object") || lower.contains("<embed"), name)
            XCTAssertFalse(lower.contains("@import"), name)
            // Every reference is a data URL or an in-document fragment.
            let references = try NSRegularExpression(pattern: #"(?:href|src|xlink:href)\s*=\s*["']([^"']*)["']|url\(\s*['"]?([^)'"]*)"#)
            let range = NSRange(html.startIndex..., in: html)
            var count = 0
            for match in references.matches(in: html, range: range) {
                let target = [1, 2].compactMap { Range(match.range(at: $0), in: html).map { String(html[$0]) } }.first ?? ""
                XCTAssertTrue(target.hasPrefix("data:") || target.hasPrefix("#"), "\(name): external reference '\(target.prefix(60))'")
                count += 1
            }
            XCTAssertGreaterThan(count, 0, "\(name): the check saw the clip paths and images it should have")
            // The only http(s) text is the SVG namespace, which is a name, not a fetch.
            let urls = try NSRegularExpression(pattern: #"https?://[^"'\s<>]+"#)
            for match in urls.matches(in: html, range: range) {
                XCTAssertEqual(String(html[Range(match.range, in: html)!]), "http://www.w3.org/2000/svg", name)
            }
        }
    }

    func testInlineFiguresAreWellFormedAndNumbered() throws {
        let report = SampleReports.manufacturing()
        let html = report.html()
        let figures = report.blocks.filter { if case .figure = $0 { return true } else { return false } }.count
        var rest = html[...]
        var parsed = 0
        while let start = rest.firstRange(of: "<svg "), let end = rest.firstRange(of: "</svg>") {
            _ = try parseXML(String(rest[start.lowerBound..<end.upperBound]))
            parsed += 1
            rest = rest[end.upperBound...]
        }
        XCTAssertEqual(parsed, figures)
        for n in 1...figures { XCTAssertTrue(html.contains("<figcaption>Figure \(n). ")) }
    }

    func testHeaderTracesTheReportToWhatMadeIt() {
        let report = SampleReports.credit(seed: 7)
        let html = report.html()
        for needle in ["<dt>Model file</dt><dd>models/credit-gbm.lepton</dd>", "<dt>Data file</dt><dd>data/credit/holdout.csv</dd>",
                       "<dt>Data fingerprint</dt><dd>sha256:", "<dt>Seed</dt><dd>7</dd>", "<dt>Tool</dt><dd>lepton-credit 0.1.0</dd>"] {
            XCTAssertTrue(html.contains(needle), "missing \(needle)")
        }
        let markdown = report.markdown(figuresFolder: "credit-figures").text
        XCTAssertTrue(markdown.contains("| Data fingerprint | `sha256:"))
        XCTAssertTrue(markdown.contains("| Seed | `7` |"))
        // Missing items are shown, not silently dropped.
        let bare = Report(title: "t", provenance: Provenance(tool: "x", toolVersion: "1")).html()
        XCTAssertTrue(bare.contains("<dt>Model file</dt><dd>—</dd>"))
    }

    func testMarkdownLinksEveryFigureFileAndAlignsTables() throws {
        let report = SampleReports.credit()
        let markdown = report.markdown(figuresFolder: "credit-figures")
        XCTAssertEqual(markdown.figures.count, 6)
        for (i, figure) in markdown.figures.enumerated() {
            XCTAssertEqual(figure.path, "credit-figures/figure-\(i + 1).svg")
            XCTAssertTrue(markdown.text.contains("](\(figure.path))"))
            _ = try parseXML(figure.svg)
        }
        let tableLines = markdown.text.split(separator: "\n").filter { $0.hasPrefix("| ") && $0.contains("AUC") || $0.hasPrefix("| Gradient") || $0.hasPrefix("| Logistic") || $0.hasPrefix("| ---") }
        XCTAssertEqual(tableLines.count, 4)
        XCTAssertEqual(Set(tableLines.map(\.count)).count, 1, "table rows line up:\n" + tableLines.joined(separator: "\n"))
        XCTAssertTrue(tableLines[1].contains("------: |"), "numeric columns are right-aligned")
    }

    func testTableCellsFollowTheirColumnFormat() {
        var table = Table(columns: [.init("Name"), .init("Share", .percent(1)), .init("Rows", .integer), .init("Value", .decimals(2)),
                                    .init("Latency", .significant(3))])
        table.addRow(["a|b", 0.1234, 1_234_567, -3.14159, 0.000123456])
        XCTAssertEqual((0..<5).map { table.text(row: 0, column: $0) }, ["a|b", "12.3%", "1,234,567", "−3.14", "0.000123"])
        XCTAssertTrue(Report.markdownTable(table).contains("a\\|b"))
        XCTAssertTrue(Report.htmlTable(table).contains("<td class=\"num\">1,234,567</td>"))
    }

    func testTextIsEscapedInHTMLAndMarkdown() {
        var report = Report(title: "<b>bold</b>", provenance: Provenance(tool: "t", toolVersion: "1", dataFile: "a&b.csv"))
        report.addParagraph("x < y & *not emphasis*")
        let html = report.html()
        XCTAssertTrue(html.contains("<h1>&lt;b&gt;bold&lt;/b&gt;</h1>"))
        XCTAssertTrue(html.contains("<dd>a&amp;b.csv</dd>"))
        XCTAssertTrue(html.contains("<p>x &lt; y &amp; *not emphasis*</p>"))
        XCTAssertTrue(report.markdown(figuresFolder: "f").text.contains("x \\< y & \\*not emphasis\\*"))
    }
}

final class FormattingTests: XCTestCase {
    func testNumbersReadWell() {
        XCTAssertEqual(NumberFormat.fixed(1234.5678, decimals: 2), "1,234.57")
        XCTAssertEqual(NumberFormat.fixed(-0.004, decimals: 2), "0.00")
        XCTAssertEqual(NumberFormat.fixed(-2.5, decimals: 1), "−2.5")
        XCTAssertEqual(NumberFormat.fixed(.nan, decimals: 1), "–")
        XCTAssertEqual(NumberFormat.value(0.87349), "0.873")
        XCTAssertEqual(NumberFormat.value(1234.5), "1,235")
        XCTAssertEqual(NumberFormat.value(0.00012), "0.000120")
        XCTAssertEqual(NumberFormat.value(3.2e-7), "3.20e-07")
        XCTAssertEqual(NumberFormat.scientific(9.9996e5, significant: 3), "1.00e+06")
        XCTAssertEqual(NumberFormat.percent(0.01234, decimals: 2), "1.23%")
        XCTAssertEqual(NumberFormat.integer(-1_000_000), "−1,000,000")
    }

    func testTickLabelsUseTheDecimalsTheStepNeeds() {
        XCTAssertEqual(TickFormat.number.label(0.75, step: 0.25), "0.75")
        XCTAssertEqual(TickFormat.number.label(0.5, step: 0.5), "0.5")
        XCTAssertEqual(TickFormat.number.label(4, step: 2), "4")
        XCTAssertEqual(TickFormat.number.label(25_000, step: 5_000), "25k")
        XCTAssertEqual(TickFormat.number.label(1_500_000, step: 500_000), "1.5M")
        XCTAssertEqual(TickFormat.number.label(2e-5, step: 1e-5), "2.0e-05")
        XCTAssertEqual(TickFormat.percent.label(0.25, step: 0.05), "25%")
        XCTAssertEqual(TickFormat.percent.label(0.025, step: 0.005), "2.5%")
        XCTAssertEqual(TickFormat.number.label(-1e-17, step: 0.1), "0.0")
    }

    func testAxesGetNiceRoundTicksCoveringTheData() {
        let axis = ResolvedAxis(Axis("x"), values: [0.13, 9.7], tickTarget: 6)
        XCTAssertEqual(axis.ticks, [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(axis.low, 0)
        XCTAssertEqual(axis.high, 10)
        let fixed = ResolvedAxis(Axis.unit("rate"), values: [0.2], tickTarget: 6)
        XCTAssertEqual(fixed.ticks.count, 6)
        XCTAssertEqual(fixed.ticks.last!, 1, accuracy: 1e-12)
        let flat = ResolvedAxis(Axis("x"), values: [5, 5], tickTarget: 5)
        XCTAssertLessThan(flat.low, 5)
        XCTAssertGreaterThan(flat.high, 5)
        let log = ResolvedAxis(Axis("x", scale: .logarithmic), values: [3, 700], tickTarget: 5)
        XCTAssertEqual(log.ticks, [3, 10, 30, 100, 300, 1000])
        XCTAssertEqual(ResolvedAxis(Axis("x", scale: .logarithmic), values: [3, 70], tickTarget: 5).ticks, [2, 5, 10, 20, 50, 100])
        for rough in [0.013, 0.7, 3.3, 47.0, 1234.0] {
            let step = ResolvedAxis.niceStep(rough)
            XCTAssertGreaterThanOrEqual(step, rough)
            XCTAssertLessThan(step, rough * 2.51)
        }
    }

    func testPaletteIsTheColourBlindSafeOkabeItoSet() {
        XCTAssertEqual(Set(ChartStyle.palette), ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"])
        XCTAssertEqual(ChartStyle.color(8), ChartStyle.color(0))
    }
}
