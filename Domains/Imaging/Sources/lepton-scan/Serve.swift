import ArgumentParser
import LeptonCLI
import LeptonIO
import LeptonServe
import ScanDiagnosis

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the scan classifier over HTTP: POST /v1/score takes a PNG (or a JSON list of base64 PNGs) and answers probability, decision and flag.",
        discussion: "Endpoints: POST /v1/score, GET /v1/model, POST /v1/admin/reload (or SIGHUP), GET /healthz, /readyz, /metrics. See openapi.yaml.\n\n"
            + LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @OptionGroup var serve: ServeOptions
    @Option(help: "Largest image accepted, in pixels (width × height); a larger one is answered 422.") var maxPixels = 16_000_000

    func run() throws {
        let maxPixels = self.maxPixels
        let decodeThreads = common.threads.resolved
        try ServeCommand.run(tool: "lepton-scan", options: serve, common: common, defaults: .images) { path in
            let (model, identity) = try ModelIdentity.loading(path) { try ScanModel.read(path: $0) }
            return ImageServedModel(manifest: identity.json(features: ["image \(model.spec.width)x\(model.spec.height) gray"]),
                                    version: identity.checksum, kind: identity.manifest.kind) { pngs in
                ScanInMemory.classify(pngs, model: model, threads: decodeThreads, maxPixels: maxPixels).map { result in
                    switch result {
                    case let .success(answer):
                        return .success(.object([("probability", .double(answer.probability)), ("decision", .string(answer.decision)),
                                                 ("flag", answer.flag.isEmpty ? .null : .string(answer.flag))]))
                    case let .failure(.overPixelLimit(message)):
                        return .failure(.unprocessable(message, hint: "send a smaller image, or ask the operator to raise --max-pixels"))
                    case let .failure(.notDecodable(message)):
                        return .failure(.badRequest(message, hint: "send a complete PNG file"))
                    }
                }
            }
        }
    }
}
