import LeptonIO
import Prometheus

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
    private let modelInfo = Protected<Gauge?>(nil)
    /// The counters and histograms already made, by route and status (the registry's own
    /// lookup builds label arrays per call).
    private let requestCounters = Protected<[Int: Counter]>([:])
    private let latencyHistograms = Protected<[String: DurationHistogram]>([:])
    /// The routes labelled by name, in a fixed order (a counter's key is its index and the status).
    static let routeOrder = ["/v1/score", "/healthz", "/readyz", "/v1/model", "/v1/admin/reload", "/metrics"]
    /// The routes labelled by name.
    static let routes = Set(routeOrder)
    static let latencyBuckets: [Duration] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        .map { Duration.nanoseconds(Int64($0 * 1e9)) }

    public init() {
        batchRecords = registry.makeValueHistogram(descriptor: Self.name("batch", "records", "Records per scored batch (dynamic batching across requests)."),
                                                   buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])
        recordsScored = registry.makeCounter(descriptor: Self.name("records_scored", "total", "Records answered with a score."))
        recordsRefused = registry.makeCounter(descriptor: Self.name("records_refused", "total", "Records refused (a wrong type, a missing field, a bad image)."))
        inFlight = registry.makeGauge(descriptor: Self.name("requests", "in_flight", "Requests being read or scored."))
    }

    /// `lepton_<metric>_<unit>`.
    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "lepton", metricName: metric, unitName: unit, helpText: help)
    }

    /// The route label of a request path.
    static func route(_ path: String) -> String { routes.contains(path) ? path : "other" }

    /// Counts a finished request and its latency.
    public func request(path: String, status: Int, duration: Duration) {
        let route = Self.route(path)
        let key = (Self.routeOrder.firstIndex(of: route) ?? Self.routeOrder.count) * 1_000 + status
        let counter = requestCounters.withLock { counters in
            if let known = counters[key] { return known }
            let made = registry.makeCounter(descriptor: Self.name("requests", "total", "HTTP requests answered, by route and status."),
                                            labels: [("path", route), ("status", String(status))])
            counters[key] = made
            return made
        }
        counter.increment()
        let histogram = latencyHistograms.withLock { histograms in
            if let known = histograms[route] { return known }
            let made = registry.makeDurationHistogram(descriptor: Self.name("request_duration", "seconds", "Time from the request's head to its answer, by route."),
                                                      labels: [("path", route)], buckets: Self.latencyBuckets)
            histograms[route] = made
            return made
        }
        histogram.record(duration)
    }

    /// Counts a reload attempt (`ok` or `refused`).
    public func reload(result: String) {
        registry.makeCounter(descriptor: Self.name("model_reloads", "total", "Model reloads by result."), labels: [("result", result)]).increment()
    }

    /// Marks `version` as the served model (`lepton_model_info{version=…} 1`).
    public func serving(kind: String, version: String) {
        modelInfo.withLock { gauge in
            if let gauge { registry.unregisterGauge(gauge) }
            let info = registry.makeGauge(descriptor: Self.name("model", "info", "The model being served (1)."),
                                          labels: [("kind", kind), ("version", version)])
            info.set(to: 1)
            gauge = info
        }
    }

    /// The Prometheus text.
    public func text() -> [UInt8] { registry.emitToBuffer() }
}
