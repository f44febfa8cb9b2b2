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
