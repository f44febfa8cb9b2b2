import Foundation
import LeptonIO

/// The version of the Lepton tools — the one version string, recorded in every model file and report.
public enum LeptonVersion {
    /// `major.minor.patch`.
    public static let string = "0.1.0"
}

/// Where a model file or a report came from: the tool and its version, the command line, the
/// seed, the time, and the data with its fingerprint. Built once per run by ``current(tool:seed:dataFile:fingerprint:)``
/// and handed to the model manifest and the report header alike, so that the two always agree.
public struct RunProvenance: Codable, Sendable, Equatable {
    /// The executable, such as `lepton-credit`.
    public var tool: String
    /// ``LeptonVersion/string`` of the tool that made it.
    public var toolVersion: String
    /// The command line, arguments with spaces quoted.
    public var command: String
    /// The seed of every random choice (nil when the run made none).
    public var seed: UInt64?
    /// ISO-8601 time of the run.
    public var created: String
    /// The data file the run read, as given.
    public var dataFile: String?
    /// ``fileFingerprint(_:threads:)`` of the data file.
    public var dataFingerprint: String?

    public init(tool: String, toolVersion: String = LeptonVersion.string, command: String, seed: UInt64?, created: String,
                dataFile: String?, dataFingerprint: String?) {
        self.tool = tool
        self.toolVersion = toolVersion
        self.command = command
        self.seed = seed
        self.created = created
        self.dataFile = dataFile
        self.dataFingerprint = dataFingerprint
    }

    /// This process's run: its command line, the time now and LeptonVersion; the data file's
    /// fingerprint is taken unless one is given (`fingerprint`), or none when there is no data file.
    public static func current(tool: String, seed: UInt64?, dataFile: String?, fingerprint: String?? = nil,
                               arguments: [String] = CommandLine.arguments, now: Date = Date()) -> RunProvenance {
        RunProvenance(tool: tool, command: commandLine(arguments), seed: seed,
                      created: ISO8601DateFormatter().string(from: now), dataFile: dataFile,
                      dataFingerprint: fingerprint ?? dataFile.flatMap { fileFingerprint($0) })
    }

    /// The command line as one string: arguments holding spaces in single quotes.
    public static func commandLine(_ arguments: [String]) -> String {
        arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}

extension ModelManifest {
    /// The manifest of a domain's model file — the one helper every domain calls: the feature
    /// schema (`preprocessing["features"]`, and the input shape [F]), metrics at training time,
    /// the data fingerprint, seed, creation time and tool version from `provenance`, which is
    /// also stored whole.
    public init(kind: String, domain: String, architecture: String?, features: [String], classNames: [String],
                preprocessing: [String: JSONValue] = [:], metrics: [String: Double], provenance: RunProvenance,
                extra: [String: JSONValue] = [:]) {
        var preprocessing = preprocessing
        preprocessing["features"] = .array(features.map { .string($0) })
        self.init(kind: kind, architecture: architecture, domain: domain, inputShape: [features.count],
                  preprocessing: preprocessing, classNames: classNames, metrics: metrics,
                  trainingDataFingerprint: provenance.dataFingerprint, seed: provenance.seed, createdAt: provenance.created,
                  toolVersion: provenance.toolVersion, extra: extra)
        self.provenance = provenance
    }
}
