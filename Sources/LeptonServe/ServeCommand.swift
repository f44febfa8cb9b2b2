import Dispatch
import Foundation
import LeptonCLI
import LeptonIO

/// What every executable's `serve` command does once its options are parsed: build the
/// settings, load the model through the domain's `load`, print where it listens, and serve
/// until SIGTERM or SIGINT (exit 0 after in-flight requests finish).
public enum ServeCommand {
    /// Serves `load(path)`'s model. Prints `serving MODEL on http://HOST:PORT` (or, with
    /// `--json`, `{"listening": true, "host": …, "port": …}`) once connections are accepted.
    public static func run<Model: ServedModel>(tool: String, options: ServeOptions, common: CommonOptions, defaults: ServeSettings.Defaults,
                                               load: @escaping @Sendable (String) throws -> Model) throws {
        let settings = try ServeSettings(options: options, threads: common.threads.resolved, defaults: defaults)
        let server = try ScoringServer(settings: settings, load: load)
        let json = common.json, quiet = common.quiet
        let finished = DispatchSemaphore(value: 0)
        let failure = Protected<(any Error)?>(nil)
        Task {
            do {
                try await server.run { port in
                    let model = server.model
                    let line = json
                        ? JSONValue.object([("listening", true), ("host", .string(settings.host)), ("port", .int(port)),
                                            ("model", .string(settings.modelPath)), ("kind", .string(model.kind)), ("version", .string(model.version))]).text
                        : "\(tool) serving \(settings.modelPath) (\(model.kind), \(model.version)) on http://\(settings.host):\(port) — "
                            + "\(settings.eventLoops) event loop(s)\(settings.inlineAnswers ? " answering inline" : ""), "
                            + "\(settings.batching.threads) batch(es) at once, batches of up to \(settings.batching.maxBatch) record(s)"
                    if json || !quiet {
                        FileHandle.standardOutput.write(Data((line + "\n").utf8))
                    }
                }
            } catch {
                failure.withLock { $0 = error }
            }
            finished.signal()
        }
        finished.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
