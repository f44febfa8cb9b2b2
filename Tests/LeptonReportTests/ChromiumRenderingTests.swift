import Foundation
import LeptonReport
import XCTest

/// Renders the sample reports in headless Chromium (Debian's `chromium` package) to PNG
/// screenshots. Skipped, saying so, when Chromium is not installed, so that `make test` does
/// not depend on it. With `LEPTON_REPORT_SAMPLES_DIR` set, the HTML, Markdown, figures and
/// screenshots are kept there for people to look at (`make report-screenshots`).
final class ChromiumRenderingTests: XCTestCase {
    static func chromiumPath() -> String? {
        if let explicit = ProcessInfo.processInfo.environment["LEPTON_CHROMIUM"], FileManager.default.isExecutableFile(atPath: explicit) {
            return explicit
        }
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return nil
    }

    func testSampleReportsRenderInHeadlessChromium() throws {
        guard let chromium = Self.chromiumPath() else {
            throw XCTSkip("Chromium is not installed (apt-get install --no-install-recommends chromium); sample reports not rendered.")
        }
        let keep = ProcessInfo.processInfo.environment["LEPTON_REPORT_SAMPLES_DIR"]
        let folder = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("lepton-report-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: folder) } }

        for (name, report) in SampleReports.all {
            let html = "\(folder)/\(name).html"
            try Data(report.html().utf8).write(to: URL(fileURLWithPath: html))
            let markdown = report.markdown(figuresFolder: "\(name)-figures")
            try FileManager.default.createDirectory(atPath: "\(folder)/\(name)-figures", withIntermediateDirectories: true)
            for figure in markdown.figures { try Data(figure.svg.utf8).write(to: URL(fileURLWithPath: "\(folder)/\(figure.path)")) }
            try Data(markdown.text.utf8).write(to: URL(fileURLWithPath: "\(folder)/\(name).md"))

            let png = "\(folder)/\(name).png"
            try? FileManager.default.removeItem(atPath: png)
            let width = 960, height = 4200
            let process = Process()
            process.executableURL = URL(fileURLWithPath: chromium)
            process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                                 "--user-data-dir=\(folder)/.chromium-profile", "--screenshot=\(png)",
                                 "--window-size=\(width),\(height)", "file://\(html)"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(120)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
            if process.isRunning {
                process.terminate()
                XCTFail("\(name): Chromium did not finish within 120 s")
                continue
            }
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: png)))
            let size = try XCTUnwrap(ImageGrid.pngSize(bytes), "\(name): Chromium wrote no PNG")
            XCTAssertEqual(size.width, width)
            XCTAssertGreaterThan(bytes.count, 50_000, "\(name): the screenshot is suspiciously small (blank page?)")
        }
        try? FileManager.default.removeItem(atPath: "\(folder)/.chromium-profile")
    }
}
