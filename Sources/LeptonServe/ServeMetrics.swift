import Prometheus
import Synchronization

/// What `GET /metrics` reports, in Prometheus text format: requests by path and status, a
/// latency histogram per path, batch sizes, records scored and refused, reloads, the model version.
///
/// Paths are labelled by route (`/v1/score`, …, `other` for anything unknown), so a client
/// probing random paths cannot grow the label set.
public final class ServeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let batchRecords: ValueHistogram
    let recordsScored: Counter
    let recordsRefused: Counter
    let inFlight: Gauge
    private let modelInfo = Mutex<Gauge?>(nil)
    /// The routes labelled by name.
    static let routes: Set<String> = ["/v1/score", "/v1/model", "/v1/admin/reload", "/healthz", "/readyz", "/metrics"]
    static let latencyBuckets: [Duration] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        .map { Duration.nanoseconds(Int64($0 * 1e9)) }

    public init() {
        batchRecords = registry.makeValueHistogram(name: "lepton_batch_records", buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
                                                   help: "Records per scored batch (dynamic batching across requests).")
        recordsScored = registry.makeCounter(name: "lepton_records_scored_total", help: "Records answered with a score.")
        recordsRefused = registry.makeCounter(name: "lepton_records_refused_total", help: "Records refused (a wrong type, a missing field, a bad image).")
        inFlight = registry.makeGauge(name: "lepton_requests_in_flight", help: "Requests being read or scored.")
    }

    /// The route label of a request path.
    static func route(_ path: String) -> String { routes.contains(path) ? path : "other" }

    /// Counts a finished request and its latency.
    public func request(path: String, status: Int, duration: Duration) {
        let route = Self.route(path)
        registry.makeCounter(name: "lepton_requests_total", labels: [("path", route), ("status", String(status))],
                             help: "HTTP requests answered, by route and status.").increment()
        registry.makeDurationHistogram(name: "lepton_request_duration_seconds", labels: [("path", route)], buckets: Self.latencyBuckets,
                                       help: "Time from the request's head to its answer, by route.").record(duration)
    }

    /// Counts a reload attempt (`ok` or `refused`).
    public func reload(result: String) {
        registry.makeCounter(name: "lepton_model_reloads_total", labels: [("result", result)], help: "Model reloads by result.").increment()
    }

    /// Marks `version` as the served model (`lepton_model_info{version=…} 1`).
    public func serving(kind: String, version: String) {
        modelInfo.withLock { gauge in
            if let gauge { registry.unregisterGauge(gauge) }
            let info = registry.makeGauge(name: "lepton_model_info", labels: [("kind", kind), ("version", version)],
                                          help: "The model being served (1).")
            info.set(to: 1)
            gauge = info
        }
    }

    /// The Prometheus text.
    public func text() -> [UInt8] { registry.emitToBuffer() }
}
