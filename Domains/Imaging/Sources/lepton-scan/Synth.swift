import ArgumentParser
import LeptonCLI
import ScanDiagnosis

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write seeded synthetic chest-like phantoms: out/normal and out/finding (focal or diffuse opacities).",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "Phantoms to write (half of each class).") var count = 200
    @Option(help: "Width and height in pixels.") var size = 32
    @Option(help: "The folder to write.") var out: String

    func validate() throws {
        guard count >= 2, size >= 8 else { throw ValidationError("--count at least 2 and --size at least 8.") }
    }

    func run() throws {
        let paths = try Phantoms.write(count: count, size: size, seed: common.seed, to: out)
        Console(options: common).result(human: ["wrote \(paths.count) phantoms (\(size)×\(size)) to \(out)/normal and \(out)/finding"],
                                        summary: [("count", .int(paths.count)), ("out", .string(out))])
    }
}
