import ArgumentParser
import CreditScoring
import LeptonCLI
import LeptonServe

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the model over HTTP: POST /v1/score answers pd, score, decision and reasons per applicant (JSON).",
        discussion: "Endpoints: POST /v1/score, GET /v1/model, POST /v1/admin/reload (or SIGHUP), GET /healthz, /readyz, /metrics. See openapi.yaml.\n\n"
            + LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @OptionGroup var serve: ServeOptions
    @Option(help: "Reason codes per declined applicant (default: the model's).") var reasons: Int?

    func validate() throws {
        if let reasons, reasons < 0 || reasons > 20 { throw ValidationError("--reasons \(reasons): between 0 and 20.") }
    }

    func run() throws {
        let reasons = self.reasons
        try ServeCommand.run(tool: "lepton-credit", options: serve, common: common, defaults: .tabular) { path in
            let (model, identity) = try ModelIdentity.loading(path) { try CreditModel.read(path: $0) }
            return try TabularServedModel(
                requiredColumns: model.characteristicNames, idColumn: model.idColumn, numericOutputs: ["pd", "score"],
                manifest: identity.json(features: model.characteristicNames), version: identity.checksum, kind: model.kindName,
                makeWorker: { header in try model.batchWorker(columns: header, path: "request", reasonCount: reasons) },
                outputColumns: { header in (try? model.batchWorker(columns: header, path: "request", reasonCount: reasons).scorer.columns) ?? [] })
        }
    }
}
