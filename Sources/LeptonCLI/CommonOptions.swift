// LeptonCLI is the executables' shared layer. It imports ArgumentParser (which DESIGN.md
// otherwise reserves for executables) only so that the three executables can share one
// `@OptionGroup` of common options, batch options and the exit-code conventions; libraries
// below it never see ArgumentParser.
import ArgumentParser
import LeptonIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ThreadCount: ExpressibleByArgument {
    /// `auto` or a number from 1 to 4096.
    public init?(argument: String) {
        if argument.lowercased() == "auto" {
            self = .auto
        } else if let n = Int(argument), n >= 1, n <= 4096 {
            self = .fixed(n)
        } else {
            return nil
        }
    }

    public var defaultValueDescription: String { description }
}

/// Options every Lepton executable accepts: `--seed`, `--threads`, `--json`, `--quiet`.
///
/// ```swift
/// struct Score: ParsableCommand {
///     @OptionGroup var common: CommonOptions
///     @OptionGroup var batch: BatchOptions
/// }
/// ```
public struct CommonOptions: ParsableArguments, Sendable {
    @Option(help: "Seed for every random choice: the same seed gives the same model and the same figures.")
    public var seed: UInt64 = 42

    @Option(help: ArgumentHelp("Threads to use: 'auto' (all cores) or a number.", valueName: "auto|N"))
    public var threads: ThreadCount = .auto

    @Flag(help: "Print one JSON object with the result summary on standard output (nothing else goes there).")
    public var json = false

    @Flag(name: .shortAndLong, help: "No progress lines or notes on standard error (errors are still shown).")
    public var quiet = false

    public init() {}
}
