import Foundation
import LeptonIO

/// The small demo data the project ships in `data/`, found the way `make demo` runs the
/// executables: in the working folder, or up to four folders above the executable (`.build/release`).
public enum EmbeddedData {
    /// The path of `data/<relative>`, or a ``DataError`` saying where it was looked for.
    public static func locate(_ relative: String) throws -> String {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var candidates = [FileManager.default.currentDirectoryPath + "/data/" + relative]
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            folder = folder.deletingLastPathComponent()
            candidates.append(folder.path + "/data/" + relative)
        }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw DataError(file: candidates[0], message: "the embedded demo data is not there",
                            hint: "run from the repository folder, or pass the file with --data.")
        }
        return found
    }
}

/// Splits a file of one-line records for a demo: the header to both outputs, every `every`-th
/// data line held out, the rest to train (deterministic, no seed needed). Files whose records
/// span lines (quoted line breaks) need a real splitter; the embedded data have none.
public enum DemoSplit {
    /// Writes `train` and `heldOut`; returns their data line counts.
    @discardableResult
    public static func write(_ source: String, every: Int, train: String, heldOut: String) throws -> (train: Int, heldOut: Int) {
        precondition(every >= 2, "hold out every 2nd line or fewer")
        let lines = try String(contentsOfFile: source, encoding: .utf8).split(whereSeparator: \.isNewline)  // "\r\n" is one Character
        guard let header = lines.first else { throw DataError(file: source, message: "the file is empty", hint: "give the demo data.") }
        var a = [String(header)], b = [String(header)]
        for (i, line) in lines.dropFirst().enumerated() { if i % every == every - 1 { b.append(String(line)) } else { a.append(String(line)) } }
        try AtomicFile.write(text: a.joined(separator: "\n") + "\n", to: train)
        try AtomicFile.write(text: b.joined(separator: "\n") + "\n", to: heldOut)
        return (a.count - 1, b.count - 1)
    }
}
