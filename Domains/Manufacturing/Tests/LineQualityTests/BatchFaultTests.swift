import Foundation
import LeptonCore
import LeptonTestSupport
import XCTest

/// Faults around a batch job, with the real `lepton-qc score` (LeptonCLI's batch job on two
/// threads, as every domain's batch command runs it): killed at random points, over a file-size
/// limit, told to overwrite its input.
final class BatchFaultTests: XCTestCase {
    let qc = BuiltExecutable("lepton-qc")
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("qc-faults") }
    override func tearDown() { dir.remove() }

    /// A trained model and a log of `rows` parts.
    func prepare(rows: Int) throws -> (model: String, log: String) {
        let train = dir.file("train.csv"), log = dir.file("log.csv"), model = dir.file("m.lepton")
        XCTAssertEqual(try qc.run(["synth", "--kind", "parts", "--rows", "3000", "--seed", "1", "--out", train, "--quiet"]).status, 0)
        XCTAssertEqual(try qc.run(["synth", "--kind", "parts", "--rows", "\(rows)", "--seed", "2", "--out", log, "--quiet"]).status, 0)
        let t = try qc.run(["train", "--data", train, "--target", "Machine failure", "--positive", "1", "--drop",
                            "UDI,Product ID,TWF,HDF,PWF,OSF,RNF", "--id", "UDI", "--rounds", "20", "--out", model, "--quiet"])
        XCTAssertEqual(t.status, 0, t.err)
        return (model, log)
    }

    func hiddenFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }.sorted()
    }

    /// SIGKILL at 20 seeded points of a scoring run (8 under a sanitizer, where each run is
    /// ten times slower): never a partial file under the output's or the rejects' name (a file
    /// there is the whole, committed one), and the next run cleans the killed runs' hidden files
    /// and writes the same bytes.
    func testKilledAtRandomPointsLeavesNoPartialOutputAndARerunIsIdentical() throws {
        let (model, log) = try prepare(rows: 200_000)
        let output = dir.file("alerts.csv"), rejects = output + ".rejects.csv"
        let arguments = ["score", "--model", model, "--input", log, "--output", output, "--threads", "2", "--quiet"]
        let started = Date()
        XCTAssertEqual(try qc.run(arguments).status, 0)
        let duration = Date().timeIntervalSince(started)
        let reference = try Data(contentsOf: URL(fileURLWithPath: output))
        let referenceRejects = try Data(contentsOf: URL(fileURLWithPath: rejects))
        var rng = SeededGenerator(seed: 7)
        var killedBeforeCommit = 0
        let kills = Sanitizers.active ? 8 : 20
        for _ in 0..<kills {
            try? FileManager.default.removeItem(atPath: output)
            try? FileManager.default.removeItem(atPath: rejects)
            let process = Process()
            process.executableURL = qc.url
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: Double(rng.nextUniform()) * duration)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if let written = FileManager.default.contents(atPath: output) {
                XCTAssertEqual(written, reference, "a file under the output's name is the whole output")
            } else {
                killedBeforeCommit += 1
            }
            if let written = FileManager.default.contents(atPath: rejects) { XCTAssertEqual(written, referenceRejects) }
        }
        XCTAssertGreaterThan(killedBeforeCommit, kills / 4, "most kills land before the commit")
        XCTAssertFalse(try hiddenFiles().isEmpty, "killed runs leave hidden temporary files")
        XCTAssertEqual(try qc.run(arguments).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: output)), reference)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: rejects)), referenceRejects)
        XCTAssertEqual(try hiddenFiles(), [], "the rerun removed the killed runs' temporary files")
    }

    /// Over a file-size limit (`ulimit -f`, as a full disk would stop it): exit 1 with the
    /// system's reason, and nothing left under the output's name or hidden beside it.
    func testFileSizeLimitGivesAClearErrorAndNoPartialOutput() throws {
        try XCTSkipIf(Sanitizers.thread, "ThreadSanitizer's runtime dies with SIGBUS under a file-size limit")
        let (model, log) = try prepare(rows: 50_000)
        let output = dir.file("alerts.csv")
        let command = "ulimit -f 256; exec '\(qc.url.path)' score --model '\(model)' --input '\(log)' --output '\(output)' --threads 2 --quiet"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 1, message)
        XCTAssertTrue(message.contains("File too large") && message.contains("Hint:"), message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        XCTAssertEqual(try hiddenFiles(), [])
    }

    /// The output (or rejects) file being the input, or one file for both: refused, input intact.
    func testOutputThatIsTheInputIsRefused() throws {
        let (model, log) = try prepare(rows: 2_000)
        let before = try Data(contentsOf: URL(fileURLWithPath: log))
        let same = try qc.run(["score", "--model", model, "--input", log, "--output", log, "--quiet"])
        XCTAssertEqual(same.status, 1)
        XCTAssertTrue(same.err.contains("--output is the input file"), same.err)
        let viaDots = try qc.run(["score", "--model", model, "--input", log, "--output", dir.path + "/./log.csv", "--quiet"])
        XCTAssertEqual(viaDots.status, 1, "the same file under another spelling")
        let rejects = try qc.run(["score", "--model", model, "--input", log, "--output", dir.file("a.csv"), "--rejects", log, "--quiet"])
        XCTAssertEqual(rejects.status, 1)
        XCTAssertTrue(rejects.err.contains("--rejects is the input file"), rejects.err)
        let both = try qc.run(["score", "--model", model, "--input", log, "--output", dir.file("a.csv"), "--rejects", dir.file("a.csv"), "--quiet"])
        XCTAssertEqual(both.status, 1)
        XCTAssertTrue(both.err.contains("name the same file"), both.err)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: log)), before, "the input is untouched")
        let missingFolder = try qc.run(["score", "--model", model, "--input", log, "--output", dir.file("no/such/folder/a.csv"), "--quiet"])
        XCTAssertEqual(missingFolder.status, 1)
        XCTAssertTrue(missingFolder.err.contains("a.csv") && missingFolder.err.contains("Hint:"), missingFolder.err)
    }

    /// An output folder nobody may write to: a clear message naming the output, exit 1, and
    /// nothing left behind. As root (permissions do not stop root) the folder is a read-only
    /// tmpfs mount; the test is skipped, saying why, where neither works.
    func testReadOnlyOutputFolderGivesAClearMessage() throws {
        let (model, log) = try prepare(rows: 500)
        let folder = dir.file("read-only")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var mounted = false
        if getuid() == 0 {
            let mount = Process()
            mount.executableURL = URL(fileURLWithPath: "/bin/mount")
            mount.arguments = ["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", folder]
            mount.standardError = FileHandle.nullDevice
            try mount.run()
            mount.waitUntilExit()
            mounted = mount.terminationStatus == 0
            try XCTSkipUnless(mounted, "running as root and cannot mount a read-only tmpfs: no folder is read-only to root here")
        } else {
            XCTAssertEqual(chmod(folder, 0o555), 0)
        }
        defer {
            if mounted {
                let umount = Process()
                umount.executableURL = URL(fileURLWithPath: "/bin/umount")
                umount.arguments = [folder]
                try? umount.run()
                umount.waitUntilExit()
            } else {
                chmod(folder, 0o755)
            }
        }
        let r = try qc.run(["score", "--model", model, "--input", log, "--output", folder + "/alerts.csv", "--quiet"])
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains("alerts.csv") && r.err.contains("Hint:"), r.err)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [])
    }
}
