import LeptonCore
import LeptonIO
import LeptonReport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes reports to disk atomically: each file appears under its final name only when complete.
public enum ReportFiles {
    /// Writes the report as Markdown with SVG figures beside it when `path` ends in `.md`
    /// (``writeMarkdown(_:to:)``: reviewable in a diff, embeddable in a notebook), otherwise as
    /// one self-contained HTML file. What every `--report FILE` option calls.
    public static func write(_ report: Report, to path: String) throws {
        if path.lowercased().hasSuffix(".md") { try writeMarkdown(report, to: path) } else { try writeHTML(report, to: path) }
    }

    /// Writes the report as one self-contained HTML file.
    public static func writeHTML(_ report: Report, to path: String) throws {
        try AtomicFile.write(text: report.html(), to: path)
    }

    /// Writes the report as Markdown at `path`, with its figures as SVG files in the folder
    /// `<name>-figures` beside it (created when missing). Returns the paths written.
    @discardableResult
    public static func writeMarkdown(_ report: Report, to path: String) throws -> [String] {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        var name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        if name.hasSuffix(".md") { name.removeLast(3) }
        let figuresFolder = "\(name)-figures"
        let markdown = report.markdown(figuresFolder: figuresFolder)
        var written: [String] = []
        if !markdown.figures.isEmpty {
            let target = "\(folder)/\(figuresFolder)"
            if mkdir(target, 0o755) != 0 && errno != EEXIST {
                throw DataError(file: target, message: "cannot create the figures folder (\(String(cString: strerror(errno))))",
                                hint: "check that the folder of the report exists and is writable.")
            }
            for figure in markdown.figures {
                try AtomicFile.write(text: figure.svg, to: "\(folder)/\(figure.path)")
                written.append("\(folder)/\(figure.path)")
            }
        }
        try AtomicFile.write(text: markdown.text, to: path)
        written.append(path)
        return written
    }

}

extension Provenance {
    /// A report header from a run's provenance (the same record the model manifest keeps).
    public init(_ run: RunProvenance, modelFile: String?) {
        self.init(tool: run.tool, toolVersion: run.toolVersion, modelFile: modelFile, dataFile: run.dataFile,
                  dataFingerprint: run.dataFingerprint, seed: run.seed, command: run.command, created: run.created)
    }
}
