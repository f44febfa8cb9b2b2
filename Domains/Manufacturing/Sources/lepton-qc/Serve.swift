import ArgumentParser
import LeptonCLI
import LeptonServe
import LineQuality

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the failure or anomaly model over HTTP: POST /v1/score answers score, alert and the top readings per record (JSON).",
        discussion: "Endpoints: POST /v1/score, GET /v1/model, POST /v1/admin/reload (or SIGHUP), GET /healthz, /readyz, /metrics. See openapi.yaml.\n\n"
            + LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @OptionGroup var serve: ServeOptions

    func run() throws {
        try ServeCommand.run(tool: "lepton-qc", options: serve, common: common, defaults: .tabular) { path in
            let (model, identity) = try ModelIdentity.loading(path) { try FailureModelFile.read(path: $0) }
            return try TabularServedModel(
                requiredColumns: model.readColumns, idColumn: model.spec.idColumn, numericOutputs: ["score", "alert"],
                manifest: identity.json(features: model.spec.schema.names), version: identity.checksum, kind: identity.manifest.kind,
                makeWorker: { header in try AlertWorker(model: model, header: header, path: "request") },
                outputColumns: { header in AlertWorker.columns(for: model, header: header) })
        }
    }
}
