import ArgumentParser
import LeptonCLI

@main
struct LeptonScan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lepton-scan",
        abstract: "Chest-scan diagnosis: train a classifier on folders of PNG scans, evaluate it clinically, classify new scans.",
        discussion: LeptonExitCode.helpText,
        subcommands: [Train.self, Evaluate.self, Classify.self, MergeCommand.self, Serve.self, Compress.self, Tune.self, Synth.self, Demo.self])

    static func main() { mainWithLeptonExitCodes() }
}
