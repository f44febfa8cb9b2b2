import Foundation
@testable import LeptonCLI
import LeptonReport
import LeptonTestSupport
import XCTest

final class ReportFileChoiceTests: XCTestCase {
    /// `--report FILE.md` gives Markdown with the charts as SVG files beside it; any other name one HTML file.
    func testTheExtensionChoosesMarkdownWithSVGFiguresOrHTML() throws {
        let dir = try TemporaryDirectory("report-files")
        defer { dir.remove() }
        var report = Report(title: "Sample", provenance: Provenance(tool: "test", toolVersion: "1"))
        report.addParagraph("text")
        report.addFigure(LineChart(title: "Line", x: Axis("x"), y: Axis("y"), series: [Series("s", x: [0, 1], y: [0, 1])]), caption: "a line")
        try ReportFiles.write(report, to: dir.file("r.md"))
        let markdown = try String(contentsOfFile: dir.file("r.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("![Line](r-figures/figure-1.svg)"), markdown)
        XCTAssertTrue(try String(contentsOfFile: dir.file("r-figures/figure-1.svg"), encoding: .utf8).hasPrefix("<svg"))
        try ReportFiles.write(report, to: dir.file("r.html"))
        let html = try String(contentsOfFile: dir.file("r.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("<svg") && html.lowercased().contains("<html"))
    }
}
