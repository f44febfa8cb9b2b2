import Foundation
@testable import LeptonReport
import XCTest

final class ChartTests: XCTestCase {
    /// Every figure of the sample reports: at least one chart of each kind.
    static let sampleCharts: [any Chart] = SampleReports.all.flatMap { sample in
        sample.report.blocks.compactMap { block -> (any Chart)? in
            if case let .figure(chart, _) = block { return chart }
            return nil
        }
    }

    func testEveryChartKindRendersWellFormedSVG() throws {
        let kinds = Set(Self.sampleCharts.map { String(describing: type(of: $0)) })
        XCTAssertEqual(kinds, ["ROCChart", "PrecisionRecallChart", "KSChart", "ScoreDistributionChart", "CalibrationChart", "BarChart",
                               "ImageGrid", "LineChart", "Histogram", "ControlChart", "ParetoChart", "ScatterChart"])
        for chart in Self.sampleCharts {
            let svg = try parseXML(chart.svg())
            XCTAssertEqual(svg.name, "svg")
            XCTAssertEqual(svg.attributes["xmlns"], "http://www.w3.org/2000/svg")
            XCTAssertEqual(svg.find("title").first?.text, chart.title)
            let width = try XCTUnwrap(svg.double("width")), height = try XCTUnwrap(svg.double("height"))
            // Nothing is drawn outside the canvas.
            for text in svg.find("text") {
                if let x = text.double("x"), let y = text.double("y"), text.attributes["transform"] == nil {
                    XCTAssert(x >= 0 && x <= width && y >= 0 && y <= height, "\(chart.title): text '\(text.text)' at \(x),\(y) is off the canvas")
                }
            }
        }
    }

    func testTickLabelsDoNotOverlap() throws {
        for chart in Self.sampleCharts {
            let svg = try parseXML(chart.svg())
            let xTicks = svg.find("text", class: "x-tick").map { node -> (Double, Double) in
                let w = TextMetrics.width(node.text, size: ChartStyle.tickSize)
                let x = node.double("x")!
                return (x - w / 2, x + w / 2)
            }.sorted { $0.0 < $1.0 }
            for (a, b) in zip(xTicks, xTicks.dropFirst()) {
                XCTAssertLessThan(a.1 + 4, b.0, "\(chart.title): x tick labels overlap")
            }
            let yTicks = svg.find("text", class: "y-tick").compactMap { $0.double("y") }.sorted()
            for (a, b) in zip(yTicks, yTicks.dropFirst()) {
                XCTAssertGreaterThan(b - a, ChartStyle.tickSize + 2, "\(chart.title): y tick labels overlap")
            }
            // Tick labels are distinct (enough decimals to tell them apart).
            let labels = svg.find("text", class: "x-tick").map(\.text)
            XCTAssertEqual(Set(labels).count, labels.count, "\(chart.title): repeated tick labels \(labels)")
        }
    }

    func testROCPathRunsFromOriginToOneOneEvenWhenTheInputLacksTheEnds() throws {
        let curve = ROCCurve(name: "m", falsePositiveRates: [0.1, 0.3, 0.6], truePositiveRates: [0.5, 0.8, 0.95], thresholds: [0.9, 0.5, 0.2])
        let svg = try parseXML(ROCChart(curves: [curve]).svg())
        let frame = try PlotFrame(svg)
        let path = try XCTUnwrap(svg.find("path", class: "roc").first)
        let points = pathPoints(try XCTUnwrap(path.attributes["d"])).map { frame.data(x: $0.x, y: $0.y) }
        XCTAssertEqual(points.count, 5)
        XCTAssertEqual(points.first!.x, 0, accuracy: frame.xTolerance)
        XCTAssertEqual(points.first!.y, 0, accuracy: frame.yTolerance)
        XCTAssertEqual(points.last!.x, 1, accuracy: frame.xTolerance)
        XCTAssertEqual(points.last!.y, 1, accuracy: frame.yTolerance)
        XCTAssertEqual(points[2].x, 0.3, accuracy: frame.xTolerance)
        XCTAssertEqual(points[2].y, 0.8, accuracy: frame.yTolerance)
    }

    func testOperatingPointIsTheCurvePointNearestTheThresholdAndLiesOnTheDrawnCurve() throws {
        let sample = ScoredSample.make(seed: 3, count: 800, prevalence: 0.25, separation: 2)
        let curve = sample.roc(name: "model")
        let chart = ROCChart(curves: [curve], operatingPoint: OperatingPoint(.threshold(0.4123)))
        let svg = try parseXML(chart.svg())
        let marker = try XCTUnwrap(svg.find("circle", class: "operating-point").first)
        let nearest = curve.thresholds!.indices.min { abs(curve.thresholds![$0] - 0.4123) < abs(curve.thresholds![$1] - 0.4123) }!
        XCTAssertEqual(marker.double("data-x"), curve.falsePositiveRates[nearest])
        XCTAssertEqual(marker.double("data-y"), curve.truePositiveRates[nearest])
        // In pixels, the ring's centre lies on the drawn polyline.
        let path = pathPoints(try XCTUnwrap(svg.find("path", class: "roc").first?.attributes["d"]))
        let cx = try XCTUnwrap(marker.double("cx")), cy = try XCTUnwrap(marker.double("cy"))
        XCTAssertLessThan(distance(from: (cx, cy), toPolyline: path), 0.02)
        // And its label names the threshold.
        XCTAssertTrue(svg.find("text", class: "marker-label").contains { $0.text.hasPrefix("threshold 0.41") })
    }

    func testPrecisionRecallOperatingPointLiesOnItsCurve() throws {
        let sample = ScoredSample.make(seed: 4, count: 600, prevalence: 0.2, separation: 2)
        let chart = PrecisionRecallChart(curves: [sample.precisionRecall(name: "a"), sample.precisionRecall(name: "b")], prevalence: 0.2,
                                         operatingPoint: OperatingPoint(curve: 1, .index(100)))
        let svg = try parseXML(chart.svg())
        let marker = try XCTUnwrap(svg.find("circle", class: "operating-point").first)
        let path = pathPoints(try XCTUnwrap(svg.find("path", class: "pr").last?.attributes["d"]))
        XCTAssertLessThan(distance(from: (marker.double("cx")!, marker.double("cy")!), toPolyline: path), 0.02)
        XCTAssertEqual(chart.markedPoint, PlotPoint(chart.curves[1].recalls[100], chart.curves[1].precisions[100]))
    }

    func testKSStatisticIsTheLargestGapBetweenTheTwoDistributions() {
        let sample = ScoredSample.make(seed: 9, count: 500, prevalence: 0.3, separation: 1.5)
        let chart = KSChart(positives: sample.positives, negatives: sample.negatives)
        var best = 0.0
        for t in sample.scores {
            let fp = Double(sample.positives.filter { $0 <= t }.count) / Double(sample.positives.count)
            let fn = Double(sample.negatives.filter { $0 <= t }.count) / Double(sample.negatives.count)
            best = max(best, abs(fp - fn))
        }
        XCTAssertEqual(chart.statistic.value, best, accuracy: 1e-12)
        XCTAssertGreaterThan(best, 0.3)
    }

    func testParetoFrontierGreysDominatedPointsAndLabelsTheChosenOne() throws {
        let candidates = [ParetoCandidate(name: "slow-good", x: 100, y: 0.95), ParetoCandidate(name: "fast-ok", x: 5, y: 0.90),
                          ParetoCandidate(name: "dominated", x: 50, y: 0.89), ParetoCandidate(name: "mid", x: 20, y: 0.93),
                          ParetoCandidate(name: "also-dominated", x: 120, y: 0.94)]
        let chart = ParetoChart(title: "t", candidates: candidates, x: Axis("Latency", unit: "ms"), y: Axis("Recall"), chosen: 3, qualityBar: 0.92)
        XCTAssertEqual(chart.frontier, [1, 3, 0])
        let svg = try parseXML(chart.svg())
        let grey = try XCTUnwrap(svg.find("g", class: "dominated").first)
        XCTAssertEqual(grey.attributes["fill"], ChartStyle.mutedColor)
        XCTAssertEqual(Set(grey.find("circle").compactMap { $0.double("data-x") }), [50, 120])
        XCTAssertEqual(svg.find("g", class: "frontier").first?.find("circle").count, 3)
        let chosen = try XCTUnwrap(svg.find("circle", class: "chosen").first)
        XCTAssertEqual(chosen.double("data-x"), 20)
        XCTAssertTrue(svg.find("text", class: "marker-label").contains { $0.text == "chosen: mid" })
        XCTAssertEqual(svg.find("line", class: "quality-bar").first?.double("data-value"), 0.92)
    }

    func testControlChartDrawsLimitsAndHighlightsEveryViolation() throws {
        let values = (0..<50).map { 10 + 0.1 * sin(Double($0)) }
        let chart = ControlChart(title: "c", values: values, centerLine: 10, upperControlLimit: 10.3, lowerControlLimit: 9.7,
                                 upperSpecificationLimit: 10.5, lowerSpecificationLimit: 9.5,
                                 violations: [.init(index: 3, rule: "1"), .init(index: 3, rule: "5"), .init(index: 20, rule: "2"),
                                              .init(index: 99, rule: "out of range, dropped")],
                                 y: Axis("Width", unit: "mm"))
        let svg = try parseXML(chart.svg())
        let flagged = try XCTUnwrap(svg.find("g", class: "violations").first).find("circle")
        XCTAssertEqual(flagged.map { $0.double("data-x")! }, [4, 21])  // samples are numbered from 1
        XCTAssertEqual(flagged.first?.double("data-y"), values[3])
        XCTAssertEqual(svg.find("g", class: "in-control").first?.find("circle").count, 48)
        XCTAssertEqual(svg.find("text", class: "tag").map(\.text), ["1,5", "2"])
        XCTAssertEqual(svg.find("line", class: "control-limit").compactMap { $0.double("data-value") }.sorted(), [9.7, 10.3])
        XCTAssertEqual(svg.find("line", class: "specification-limit").compactMap { $0.double("data-value") }.sorted(), [9.5, 10.5])
        XCTAssertEqual(svg.find("line", class: "center-line").count, 1)
        let labels = svg.find("text", class: "rule-label").map(\.text)
        XCTAssertEqual(Set(labels), ["USL 10.50", "UCL 10.30", "CL 10.00", "LCL 9.70", "LSL 9.50"])
        // Limit labels in the margin are at least a line apart.
        let ys = svg.find("text", class: "rule-label").compactMap { $0.double("y") }.sorted()
        for (a, b) in zip(ys, ys.dropFirst()) { XCTAssertGreaterThanOrEqual(b - a, ChartStyle.tickSize + 1.99) }
    }

    func testHistogramBinsCountEveryValueInRange() throws {
        let values = [0.05, 0.15, 0.15, 0.95, 1.0, 1.5, .nan]
        let binning = Binning(low: 0, high: 1, count: 10)
        XCTAssertEqual(binning.counts(values), [1, 2, 0, 0, 0, 0, 0, 0, 0, 2])
        let svg = try parseXML(Histogram(title: "h", x: Axis("v"), values: values, binning: binning).svg())
        let frame = try PlotFrame(svg)
        let heights = try XCTUnwrap(svg.find("g", class: "bins").first).find("rect").map { rect in
            frame.data(x: 0, y: rect.double("y")!).y - frame.data(x: 0, y: rect.double("y")! + rect.double("height")!).y
        }
        XCTAssertEqual(heights.map { $0.rounded() }, [1, 2, 0, 0, 0, 0, 0, 0, 0, 2])
        let auto = Binning.covering([3.2, 7.9, 5], count: 10)
        XCTAssertLessThanOrEqual(auto.low, 3.2)
        XCTAssertGreaterThanOrEqual(auto.high, 7.9)
        XCTAssertEqual(auto.counts([3.2, 7.9, 5]).reduce(0, +), 3)
    }

    func testBarLengthsAreProportionalToValues() throws {
        let chart = BarChart(title: "b", categories: ["a", "a much longer category name", "c"], values: [1, 4, 2], value: Axis("Gain"))
        let svg = try parseXML(chart.svg())
        let widths = svg.find("rect", class: "bar").compactMap { $0.double("width") }
        XCTAssertEqual(widths.count, 3)
        XCTAssertEqual(widths[1] / widths[0], 4, accuracy: 0.01)
        XCTAssertEqual(widths[2] / widths[0], 2, accuracy: 0.01)
        XCTAssertEqual(svg.find("text", class: "category").map(\.text), ["a", "a much longer category name", "c"])
    }

    func testImageGridEmbedsTheExactPNGBytes() throws {
        let scan = TinyPNG.scan(seed: 1, positive: true)
        XCTAssertEqual(ImageGrid.pngSize(scan.image)?.width, 64)
        let chart = ImageGrid(title: "g", tiles: [ImageTile(png: scan.image, overlay: scan.overlay, caption: "one"),
                                                   ImageTile(png: [1, 2, 3], caption: "broken")])
        let svg = try parseXML(chart.svg())
        let images = svg.find("image")
        XCTAssertEqual(images.count, 2)
        let href = try XCTUnwrap(images[0].attributes["href"])
        XCTAssertTrue(href.hasPrefix("data:image/png;base64,"))
        XCTAssertEqual(Data(base64Encoded: String(href.dropFirst("data:image/png;base64,".count))).map { [UInt8]($0) }, scan.image)
        XCTAssertEqual(svg.find("text", class: "image-error").count, 1, "bytes that are not a PNG are reported, not embedded")
        for n in 0..<7 {
            let bytes = (0..<n).map { UInt8($0 * 37 % 256) }
            XCTAssertEqual(Base64.encode(bytes), Data(bytes).base64EncodedString())
        }
    }

    func testSpecialCharactersAreEscapedAndRoundTrip() throws {
        let title = "Loss <train> & \"valid\" 'set'"
        let svg = try parseXML(LineChart(title: title, x: Axis("x"), y: Axis("y"), series: [Series("a&b", x: [1, 2], y: [3, 4])]).svg())
        XCTAssertEqual(svg.find("title").first?.text, title)
        XCTAssertEqual(svg.find("text", class: "chart-title").first?.text, title)
    }

    func testRenderingIsDeterministic() {
        XCTAssertEqual(SampleReports.credit().html(), SampleReports.credit().html())
        XCTAssertNotEqual(SampleReports.credit(seed: 1).html(), SampleReports.credit(seed: 2).html())
    }

    func testLogAxisPlacesDecadesEvenly() throws {
        let chart = ScatterChart(title: "s", x: Axis("Latency", unit: "µs", scale: .logarithmic), y: Axis("y"),
                                 series: [Series("p", x: [1, 10, 100, 1000], y: [1, 2, 3, 4])])
        let svg = try parseXML(chart.svg())
        let xs = svg.find("circle").compactMap { $0.double("cx") }
        XCTAssertEqual(xs.count, 4)
        XCTAssertEqual(xs[1] - xs[0], xs[2] - xs[1], accuracy: 0.02)
        XCTAssertEqual(xs[3] - xs[2], xs[2] - xs[1], accuracy: 0.02)
    }

    private func distance(from p: (Double, Double), toPolyline points: [(x: Double, y: Double)]) -> Double {
        var best = Double.infinity
        for (a, b) in zip(points, points.dropFirst()) {
            let dx = b.x - a.x, dy = b.y - a.y
            let t = dx == 0 && dy == 0 ? 0 : max(0, min(1, ((p.0 - a.x) * dx + (p.1 - a.y) * dy) / (dx * dx + dy * dy)))
            let qx = a.x + t * dx, qy = a.y + t * dy
            best = min(best, ((p.0 - qx) * (p.0 - qx) + (p.1 - qy) * (p.1 - qy)).squareRoot())
        }
        return best
    }
}
