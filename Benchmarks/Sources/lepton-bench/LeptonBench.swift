import ArgumentParser
import LeptonCore

@main
struct LeptonBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lepton-bench",
        abstract: "Benchmarks Lepton against its peers; figures go to Benchmarks/README.md.",
        subcommands: [
            CNNCommand.self,
            CNNSpeedBench.self,
            GEMMBench.self,
            CSVBench.self,
            GenerateCSV.self,
            Gates.self,
            TabularBench.self,
            LogisticBench.self,
            GenerateLinear.self,
            PNGBench.self,
            GBDTBench.self,
        ])

    static func main() {
        _ = BLAS.kernels  // OpenBLAS's kernel choice, made before any thread starts
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
