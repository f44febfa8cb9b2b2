import ArgumentParser
import LeptonCLI
import LineQuality

struct Policy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The tool-replacement policy that minimises expected cost, from the failure model's risk as tool wear grows.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "The failure model file.") var model: String
    @Option(help: "A per-part log in production order (the model's columns and the wear column).") var data: String
    @Option(help: "The tool-wear column (minutes).") var wearColumn: String
    @Option(help: "Cost of an unplanned failure.") var failureCost = 1000.0
    @Option(help: "Cost of a planned tool replacement.") var replacementCost = 100.0
    @Option(help: "Cost of the downtime an unplanned failure causes.") var downtimeCost = 500.0
    @Option(help: "Width of a wear state (minutes).") var wearStep = 10.0
    @Option(help: "The fixed schedule to compare with: replace every this many minutes of wear.") var fixedSchedule = 200.0

    func validate() throws {
        guard failureCost >= 0, replacementCost >= 0, downtimeCost >= 0 else { throw ValidationError("costs must not be negative.") }
        guard wearStep > 0, fixedSchedule > 0, fixedSchedule < 1e6 else {
            throw ValidationError("--wear-step and --fixed-schedule must be positive (and the schedule under 10⁶ minutes).")
        }
    }

    func run() throws {
        let console = Console(options: common)
        let job = try PolicyJob.run(model: try FailureModelFile.read(path: model), path: data, wearColumn: wearColumn,
                                    costs: .init(failure: failureCost, replacement: replacementCost, downtime: downtimeCost),
                                    step: wearStep, fixedSchedule: fixedSchedule, seed: common.seed, threads: common.threads.resolved)
        if !job.checkAgrees { console.warning("value iteration and Q-learning disagree on the simulated log; the policy rests on the model's risk alone.") }
        console.result(human: job.lines, summary: job.jsonFields)
    }
}
