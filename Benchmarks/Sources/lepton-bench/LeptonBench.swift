import ArgumentParser

@main
struct LeptonBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lepton-bench",
        abstract: "Benchmarks Lepton against its peers; figures go to Benchmarks/README.md.",
        subcommands: [
            CNNCommand.self,
            OptimizersCommand.self,
            CNNSpeedBench.self,
            GEMMBench.self,
            ConvLayersBench.self,
            CSVBench.self,
            GenerateCSV.self,
            Gates.self,
            TabularBench.self,
            LogisticBench.self,
            GenerateLinear.self,
            PNGBench.self,
            GBDTBench.self,
            ChartSpeedBench.self,
            IsolationForestBench.self,
            CompressBench.self,
            NavigatorBench.self,
            PruneSpeedBench.self,
            Int8SpeedBench.self,
        ])
}
