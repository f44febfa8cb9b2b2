import ArgumentParser
import LeptonCLI
import LineQuality

@main
struct LeptonQC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lepton-qc",
        abstract: "Production-line quality control: control charts and capability, failure and anomaly models, scoring of sensor logs.",
        discussion: LeptonExitCode.helpText,
        subcommands: [Chart.self, Train.self, Evaluate.self, Score.self, MergeCommand.self, Serve.self, Policy.self, Compress.self, Tune.self, Synth.self, Demo.self])

    static func main() { mainWithLeptonExitCodes() }
}

extension ChartType: ExpressibleByArgument {}
extension RuleSet: ExpressibleByArgument {}
extension FailureModelKind: ExpressibleByArgument {}
