import ArgumentParser
import CreditScoring
import LeptonCLI

@main
struct LeptonCredit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lepton-credit",
        abstract: "Credit-risk scorecards: train on past loans, validate, export, monitor and batch-score applicants.",
        discussion: LeptonExitCode.helpText,
        subcommands: [Train.self, Evaluate.self, Score.self, MergeCommand.self, Serve.self, Export.self, Monitor.self, Compress.self, Tune.self, Synth.self, Demo.self])

    static func main() { mainWithLeptonExitCodes() }
}

extension MonotonicTrend: ExpressibleByArgument {}
extension Prebinning: ExpressibleByArgument {}
extension CreditExport.Format: ExpressibleByArgument {}
