import Foundation
import LeptonTestSupport
import ScanDiagnosis
import XCTest

/// Runs the built `lepton-scan` on phantoms it generates itself.
final class ScanEndToEndTests: XCTestCase {
    let scan = BuiltExecutable("lepton-scan")
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("scan-e2e") }
    override func tearDown() { dir.remove() }

    func testSynthTrainEvaluateClassify() throws {
        let train = dir.file("train"), test = dir.file("test")
        XCTAssertEqual(try scan.run(["synth", "--count", "160", "--size", "16", "--seed", "1", "--out", train, "--quiet"]).status, 0)
        XCTAssertEqual(try scan.run(["synth", "--count", "60", "--size", "16", "--seed", "2", "--out", test, "--quiet"]).status, 0)
        let model = dir.file("m.lepton")
        let t = try scan.run(["train", "--data", train, "--model", "cnn-small", "--epochs", "6", "--batch-size", "32", "--positive", "finding",
                              "--out", model, "--json", "--quiet"])
        XCTAssertEqual(t.status, 0, t.err)
        XCTAssertNotNil(try t.json()["val_auc"])

        // Transfer learning: start from the model at another resolution, first block frozen; an
        // --init model of another architecture is a clear message.
        let bigger = dir.file("bigger")
        XCTAssertEqual(try scan.run(["synth", "--count", "80", "--size", "20", "--seed", "3", "--out", bigger, "--quiet"]).status, 0)
        let tuned = try scan.run(["train", "--data", bigger, "--init", model, "--freeze", "1", "--epochs", "2", "--batch-size", "32",
                                  "--positive", "finding", "--out", dir.file("tuned.lepton"), "--quiet"])
        XCTAssertEqual(tuned.status, 0, tuned.err)
        let wrong = try scan.run(["train", "--data", bigger, "--init", model, "--model", "mlp", "--epochs", "1", "--out", dir.file("w.lepton")])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.err.contains("the --init model is cnn-small, --model is mlp"), wrong.err)
        let tooMany = try scan.run(["train", "--data", bigger, "--init", model, "--freeze", "99", "--epochs", "1", "--out", dir.file("w.lepton")])
        XCTAssertTrue(tooMany.err.contains("cannot freeze 99 blocks"), tooMany.err)

        // An ensemble of two networks is one model file; evaluate reads both members.
        let pair = dir.file("pair.lepton")
        let ens = try scan.run(["train", "--data", train, "--ensemble", "2", "--epochs", "2", "--batch-size", "32", "--positive", "finding",
                                "--out", pair, "--quiet"])
        XCTAssertEqual(ens.status, 0, ens.err)
        XCTAssertEqual(try ScanModel.read(path: pair).members.count, 2)
        XCTAssertEqual(try scan.run(["evaluate", "--model", pair, "--data", test, "--json"]).status, 0)

        // Intensity windowing and inversion are stored in the model and applied when it classifies.
        let windowed = dir.file("windowed.lepton")
        let wt = try scan.run(["train", "--data", train, "--window", "p1-p99", "--invert", "--epochs", "2", "--batch-size", "32",
                               "--positive", "finding", "--out", windowed, "--quiet"])
        XCTAssertEqual(wt.status, 0, wt.err)
        XCTAssertEqual(try ScanModel.read(path: windowed).spec.intensity,
                       IntensityNormalization(window: true, lowPercentile: 1, highPercentile: 99, invert: true))
        let badWindow = try scan.run(["train", "--data", train, "--window", "p99-p1", "--out", dir.file("w.lepton")])
        XCTAssertTrue(badWindow.err.contains("--window p99-p1 is not a window"), badWindow.err)

        // Mixed sizes: an error naming --size without it; with --size and --fit the scans are
        // resized, the fit is stored, and evaluate resizes scans of another size the same way.
        let mixed = dir.file("mixed")
        XCTAssertEqual(try scan.run(["synth", "--count", "40", "--size", "16", "--seed", "5", "--out", mixed, "--quiet"]).status, 0)
        XCTAssertEqual(try scan.run(["synth", "--count", "40", "--size", "24", "--seed", "6", "--out", dir.file("mixed-big"), "--quiet"]).status, 0)
        for cls in ["finding", "normal"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.file("mixed-big/\(cls)")) {
                try FileManager.default.moveItem(atPath: dir.file("mixed-big/\(cls)/\(name)"), toPath: dir.file("mixed/\(cls)/big-\(name)"))
            }
        }
        let noSize = try scan.run(["train", "--data", mixed, "--epochs", "1", "--out", dir.file("w.lepton")])
        XCTAssertNotEqual(noSize.status, 0)
        XCTAssertTrue(noSize.err.contains("pass --size"), noSize.err)
        for (option, value, message) in [("--size", "20x", "--size 20x is not a size"), ("--fit", "squash", "--fit squash is not a fit"),
                                         ("--class-weights", "inverse", "--class-weights inverse is not a choice"),
                                         ("--calibration", "isotonic", "--calibration isotonic is not a method")] {
            let bad = try scan.run(["train", "--data", train, option, value, "--out", dir.file("w.lepton")])
            XCTAssertNotEqual(bad.status, 0)
            XCTAssertTrue(bad.err.contains(message), bad.err)
        }
        let boxed = dir.file("boxed.lepton")
        let sized = try scan.run(["train", "--data", mixed, "--size", "20", "--fit", "letterbox", "--epochs", "2", "--batch-size", "32",
                                  "--positive", "finding", "--out", boxed, "--quiet"])
        XCTAssertEqual(sized.status, 0, sized.err)
        let boxedSpec = try ScanModel.read(path: boxed).spec
        XCTAssertEqual([boxedSpec.width, boxedSpec.height], [20, 20])
        XCTAssertEqual(boxedSpec.fit, .letterbox)
        let other = try scan.run(["evaluate", "--model", boxed, "--data", test, "--json"])
        XCTAssertEqual(other.status, 0, other.err)
        XCTAssertEqual(try other.json()["n"] as? Int, 60)

        // AdamW with warm-up + cosine and balanced class weights.
        let cosine = try scan.run(["train", "--data", train, "--weight-decay", "1e-4", "--schedule", "cosine", "--warmup-epochs", "1",
                                   "--class-weights", "balanced", "--calibration", "temperature", "--epochs", "3", "--batch-size", "32", "--positive", "finding",
                                   "--out", dir.file("cosine.lepton"), "--json", "--quiet"])
        XCTAssertEqual(cosine.status, 0, cosine.err)
        XCTAssertNotNil(try cosine.json()["val_auc"] as? Double)
        let badSchedule = try scan.run(["train", "--data", train, "--schedule", "linear", "--out", dir.file("w.lepton")])
        XCTAssertTrue(badSchedule.err.contains("--schedule linear is not a schedule"), badSchedule.err)

        // Cross-validation with augmentation reports one AUC per fold and their mean.
        let cv = try scan.run(["train", "--data", train, "--model", "cnn-small", "--epochs", "2", "--batch-size", "32", "--positive", "finding",
                               "--cv-folds", "3", "--augment", "--out", dir.file("cv.lepton"), "--json", "--quiet"])
        XCTAssertEqual(cv.status, 0, cv.err)
        let cvAUC = try cv.json()["cv_auc"] as? Double ?? .nan
        XCTAssertTrue((0...1).contains(cvAUC), "cv_auc \(cvAUC)")

        let report = dir.file("evaluation.html")
        let e = try scan.run(["evaluate", "--model", model, "--data", test, "--report", report, "--json"])
        XCTAssertEqual(e.status, 0, e.err)
        let html = try String(contentsOfFile: report, encoding: .utf8)
        for part in ["ROC", "Reliability diagram", "Confusion matrix", "True positives", "data:image/png;base64"] {
            XCTAssertTrue(html.contains(part), "the report lacks \(part)")
        }
        let metrics = try e.json()
        for key in ["auc", "auc_ci_low", "auc_ci_high", "sensitivity", "specificity", "ppv", "npv", "ece", "n"] { XCTAssertNotNil(metrics[key], key) }
        XCTAssertEqual(metrics["n"] as? Int, 60)
        let (low, auc, high) = (metrics["auc_ci_low"] as? Double ?? .nan, metrics["auc"] as? Double ?? .nan, metrics["auc_ci_high"] as? Double ?? .nan)
        XCTAssertTrue(low <= auc && auc <= high, "\(low) \(auc) \(high)")

        // Classification: a corrupt file and a text file with a .png name are rejected with reasons; read = written + rejected.
        try dir.write("test/finding/corrupt.png", bytes: [0x89, 0x50, 0x4E, 0x47, 0, 1, 2])
        try dir.write("test/normal/notes.png", "not a picture")
        let out = dir.file("classified.csv")
        let c = try scan.run(["classify", "--model", model, "--input", test, "--output", out, "--max-reject-rate", "0.1",
                              "--saliency", dir.file("maps"), "--json", "--quiet"])
        XCTAssertEqual(c.status, 0, c.err)
        let summary = try c.json()
        XCTAssertEqual(summary["read"] as? Int, 62)
        XCTAssertEqual(summary["rejected"] as? Int, 2)
        XCTAssertEqual(summary["written"] as? Int, 60)
        XCTAssertNotNil(summary["images_per_second"])
        let maps = (try? FileManager.default.contentsOfDirectory(atPath: dir.file("maps"))) ?? []
        XCTAssertEqual(maps.count, summary["flagged"] as? Int, "one saliency map per flagged scan")
        let rejects = try String(contentsOfFile: out + ".rejects.csv", encoding: .utf8)
        XCTAssertTrue(rejects.contains("corrupt.png") && rejects.contains("notes.png"), rejects)
        // Small batches (several in flight, rejects among them), a list file and a manifest give the same rows
        // (probabilities to float rounding: the batch's matrix products block differently).
        let csv = try String(contentsOfFile: out, encoding: .utf8)
        func assertSameRows(_ a: String, _ b: String, _ what: String) {
            let x = a.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            let y = b.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            XCTAssertEqual(x.count, y.count, what)
            for (r, s) in zip(x, y) {
                XCTAssertEqual([r[0], r[2], r[3]], [s[0], s[2], s[3]], what)
                if let p = Double(r[1]), let q = Double(s[1]) { XCTAssertEqual(p, q, accuracy: 1e-5, what) } else { XCTAssertEqual(r[1], s[1], what) }
            }
        }
        let small = dir.file("small-batches.csv")
        XCTAssertEqual(try scan.run(["classify", "--model", model, "--input", test, "--output", small, "--batch-size", "7",
                                     "--max-reject-rate", "0.1", "--quiet"]).status, 0)
        assertSameRows(try String(contentsOfFile: small, encoding: .utf8), csv, "batches of 7")
        XCTAssertEqual(try String(contentsOfFile: small + ".rejects.csv", encoding: .utf8), rejects)
        let paths = csv.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) }
        let list = try dir.write("list.txt", paths.joined(separator: "\n") + "\n")
        let manifest = try dir.write("manifest.csv", "path\n" + paths.joined(separator: "\n") + "\n")
        for input in [list, manifest] {
            let listed = dir.file("listed.csv")
            XCTAssertEqual(try scan.run(["classify", "--model", model, "--input", input, "--output", listed, "--batch-size", "5", "--quiet"]).status, 0)
            assertSameRows(try String(contentsOfFile: listed, encoding: .utf8), csv, input)
        }
        // Over the reject limit: outputs written, exit code 3.
        let strict = try scan.run(["classify", "--model", model, "--input", test, "--output", dir.file("strict.csv"), "--quiet"])
        XCTAssertEqual(strict.status, 3, strict.err)
    }

    func testBadInputsGiveClearMessages() throws {
        let one = dir.file("one")
        try FileManager.default.createDirectory(atPath: one + "/normal", withIntermediateDirectories: true)
        XCTAssertEqual(try scan.run(["synth", "--count", "4", "--size", "8", "--out", dir.file("tmp"), "--quiet"]).status, 0)
        try FileManager.default.copyItem(atPath: dir.file("tmp/normal/00000.png"), toPath: one + "/normal/a.png")
        let r = try scan.run(["train", "--data", one, "--out", dir.file("x.lepton")])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("one class") && r.err.contains("Hint:"), r.err)
        try FileManager.default.createDirectory(atPath: one + "/finding", withIntermediateDirectories: true)
        let empty = try scan.run(["train", "--data", one, "--out", dir.file("x.lepton")])
        XCTAssertEqual(empty.status, 1)
        XCTAssertTrue(empty.err.contains("no .png images"), empty.err)
    }
}
