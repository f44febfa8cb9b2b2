import Foundation
import LeptonCore
import LeptonIO
import LeptonTestSupport
@testable import ScanDiagnosis
import XCTest

final class ImageManifestTests: XCTestCase {
    /// 40 patients with 1–4 scans each, written under `dir/scans/`, and a manifest with relative paths.
    private func makeManifest(_ dir: TemporaryDirectory) throws -> (path: String, patientsOfRow: [String]) {
        try FileManager.default.createDirectory(atPath: dir.file("scans"), withIntermediateDirectories: true)
        var lines = ["path,label,patient_id"], patients: [String] = []
        var row = 0
        for p in 0..<40 {
            for _ in 0..<(1 + p % 4) {
                try PNG.write(Raster(width: 4, height: 4, layout: .gray, repeating: UInt8(row % 250)), to: dir.file("scans/\(row).png"))
                lines.append("scans/\(row).png,\(p % 2 == 0 ? "normal" : "pneumonia"),P\(p)")
                patients.append("P\(p)")
                row += 1
            }
        }
        try dir.write("manifest.csv", lines.joined(separator: "\n") + "\n")
        return (dir.file("manifest.csv"), patients)
    }

    func testManifestLoadsLabelsAndSplitsNeverShareAPatient() throws {
        let dir = try TemporaryDirectory("manifest")
        defer { dir.remove() }
        let (path, patients) = try makeManifest(dir)
        let set = try ImageFolder.load(source: path)
        XCTAssertEqual(set.classNames, ["normal", "pneumonia"])
        XCTAssertEqual(set.count, patients.count)
        XCTAssertEqual(set.patients, patients)
        XCTAssertEqual(set.images[3, 0, 0, 0], 3 / 255, accuracy: 1e-6)
        XCTAssertEqual(set.bitDepthCounts, [8: patients.count])
        XCTAssertEqual(ScanTraining.bitDepthLine(set), "source PNGs: 8-bit \(patients.count), 40 patients")
        for seed in 0..<5 as Range<UInt64> {
            let (train, val) = ScanTraining.split(set, seed: seed)
            XCTAssertEqual(train.count + val.count, set.count)
            XCTAssertTrue(Set(train.patients!).isDisjoint(with: Set(val.patients!)), "seed \(seed): a patient on both sides")
            XCTAssertEqual(Set(val.labels).count, 2)
        }
    }

    func testBadManifestsNameTheRowAndField() throws {
        let dir = try TemporaryDirectory("manifest-bad")
        defer { dir.remove() }
        _ = try makeManifest(dir)
        try dir.write("missing.csv", "path,label\nscans/0.png,normal\nscans/nope.png,pneumonia\n")
        XCTAssertThrowsError(try ImageFolder.load(source: dir.file("missing.csv"))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("row 3") && text.contains("nope.png") && text.contains("does not exist"), text)
        }
        try dir.write("columns.csv", "file,class\nscans/0.png,normal\n")
        XCTAssertThrowsError(try ImageFolder.load(source: dir.file("columns.csv"))) { error in
            XCTAssertTrue("\(error)".contains("'path' and 'label'"), "\(error)")
        }
        try dir.write("empty.csv", "path,label\nscans/0.png,\n")
        XCTAssertThrowsError(try ImageFolder.load(source: dir.file("empty.csv"))) { error in
            XCTAssertTrue("\(error)".contains("label"), "\(error)")
        }
        try dir.write("other.csv", "path,label\nscans/0.png,cat\n")
        XCTAssertThrowsError(try ImageFolder.load(source: dir.file("other.csv"), classNames: ["normal", "pneumonia"]))
    }
}
