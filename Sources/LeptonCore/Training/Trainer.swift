import Foundation
import LeptonIO

/// Reduce-on-plateau settings for the ``Trainer`` (see ``ReduceOnPlateau``).
public struct PlateauSettings: Sendable, Equatable {
    public var factor: Float
    public var patience: Int
    public init(factor: Float = 0.1, patience: Int = 2) {
        self.factor = factor
        self.patience = patience
    }
}

/// Training configuration: plain values, no logic.
public struct TrainerConfig: Sendable {
    public var epochs: Int
    public var batchSize: Int
    /// Seeds the per-epoch shuffles.
    public var seed: UInt64
    /// Learning rate as a pure function of the global 0-based step.
    public var schedule: LearningRateSchedule
    /// Clip gradients to this global norm before each step (nil: no clipping).
    public var clipNorm: Float?
    /// Stop when the monitored value has not improved for this many epochs (nil: never).
    public var earlyStoppingPatience: Int?
    /// After training, put back the weights of the best epoch (by the monitored value).
    public var restoreBestWeights: Bool
    /// Lower the learning rate when the monitored value stalls (nil: off).
    public var reduceOnPlateau: PlateauSettings?
    /// Threads for training: a fixed number, or `auto` — up to every core, the trainer timing its
    /// first real batches on one thread and on all of them and keeping the faster (the measured
    /// batches are ordinary steps: batch 1 warms up, 2–3 run on one thread, 4–5 on all; with fewer
    /// than five batches per epoch nothing is measured and all cores are used).
    public var threads: ThreadCount

    public init(epochs: Int = 10, batchSize: Int = 32, seed: UInt64 = 0,
                schedule: LearningRateSchedule = .constant(0.01), clipNorm: Float? = nil,
                earlyStoppingPatience: Int? = nil, restoreBestWeights: Bool = true,
                reduceOnPlateau: PlateauSettings? = nil, threads: ThreadCount = .auto) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
        self.schedule = schedule
        self.clipNorm = clipNorm
        self.earlyStoppingPatience = earlyStoppingPatience
        self.restoreBestWeights = restoreBestWeights
        self.reduceOnPlateau = reduceOnPlateau
        self.threads = threads
    }
}

/// One epoch of a training run.
public struct EpochRecord: Codable, Sendable, Equatable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Weighted mean training loss over the epoch's batches.
    public var trainLoss: Double
    public var validationLoss: Double?
    /// The caller's metric on the validation set (nil without one).
    public var metric: Double?
    /// The learning rate of the epoch's last step.
    public var learningRate: Double
    public var seconds: Double
}

/// What happened during ``Trainer/fit(_:optimizer:loss:inputs:targets:sampleWeights:validation:metric:callbacks:)``.
public struct TrainingHistory: Codable, Sendable, Equatable {
    public var metricName: String
    public var monitored: String
    public var records: [EpochRecord]
    /// The epoch whose weights the model holds when ``TrainerConfig/restoreBestWeights`` is on.
    public var bestEpoch: Int
    public var stoppedEarly: Bool
    /// Threads used (after `.auto` measured).
    public var threads: Int

    /// CSV with a header: `epoch,train_loss,validation_loss,<metric>,learning_rate,seconds`.
    public func csv() -> String {
        func f(_ v: Double?) -> String { v.map { String($0) } ?? "" }
        var lines = ["epoch,train_loss,validation_loss,\(metricName),learning_rate,seconds"]
        for r in records {
            lines.append("\(r.epoch),\(f(r.trainLoss)),\(f(r.validationLoss)),\(f(r.metric)),\(f(r.learningRate)),\(f(r.seconds))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Pretty-printed, key-sorted JSON.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Writes ``csv()`` to `path` atomically.
    public func writeCSV(to path: String) throws { try AtomicFile.write(text: csv(), to: path) }
    /// Writes ``json()`` to `path` atomically.
    public func writeJSON(to path: String) throws { try AtomicFile.write(try json(), to: path) }
}

/// Progress hooks, called on the training thread.
public struct TrainingCallbacks {
    /// After every optimizer step: (epoch, batch index, batches per epoch, batch loss).
    public var onBatchEnd: ((_ epoch: Int, _ batch: Int, _ batches: Int, _ loss: Float) -> Void)?
    /// After every epoch; return `false` to stop training.
    public var onEpochEnd: ((EpochRecord) -> Bool)?
    /// Data augmentation: the training batch as the model sees it, from (inputs, epoch, batch
    /// index). It should be seeded by its arguments, so that training stays reproducible.
    public var augment: ((_ inputs: Tensor, _ epoch: Int, _ batch: Int) -> Tensor)?

    public init(onBatchEnd: ((Int, Int, Int, Float) -> Void)? = nil, onEpochEnd: ((EpochRecord) -> Bool)? = nil,
                augment: ((Tensor, Int, Int) -> Tensor)? = nil) {
        self.onBatchEnd = onBatchEnd
        self.onEpochEnd = onEpochEnd
        self.augment = augment
    }
}

/// Bad training input (user data, not programmer error).
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case emptyTrainingSet
    case sampleCountMismatch(inputs: Int, targets: Int, what: String)
    case nonFiniteLoss(epoch: Int, batch: Int)
    case invalidConfig(String)

    public var description: String {
        switch self {
        case .emptyTrainingSet: return "the training set is empty"
        case .sampleCountMismatch(let i, let t, let what): return "\(what): \(i) inputs but \(t) targets/weights"
        case .nonFiniteLoss(let e, let b): return "the loss became NaN or infinite at epoch \(e), batch \(b); lower the learning rate or clip gradients"
        case .invalidConfig(let m): return "invalid training configuration: \(m)"
        }
    }
}

/// Mini-batch training with seeded shuffling, per-epoch validation, early stopping, learning-rate
/// schedules and thread selection. The model is trained in place.
public struct Trainer: Sendable {
    public var config: TrainerConfig

    public init(_ config: TrainerConfig) { self.config = config }

    /// Trains `model` on `inputs` (N, …) against `targets` (N, …).
    ///
    /// Each epoch visits a fresh seeded permutation in batches of ``TrainerConfig/batchSize`` (the
    /// last batch may be smaller). After each epoch the validation set (if any) is scored with
    /// `loss` and `metric`; the monitored value is the metric on validation, or the training loss
    /// without a validation set. Returns the history; with `restoreBestWeights` the model ends
    /// with the weights of the best epoch.
    public func fit<O: Optimizer>(
        _ model: some Layer, optimizer: O, loss: some Loss,
        inputs: Tensor, targets: Tensor, sampleWeights: [Float]? = nil,
        validation: (inputs: Tensor, targets: Tensor)? = nil,
        metric: Metric = .accuracy, callbacks: TrainingCallbacks = TrainingCallbacks()
    ) throws -> TrainingHistory {
        // Freed activations stay in the process for the next batch (see MemoryRetention); at the
        // end the model's cached activations and workspaces go, inside the scope so that its
        // closing trim returns their memory to the system.
        try MemoryRetention.retainingFreedMemory {
            defer { model.releaseWorkspaces() }
            return try fitRetainingMemory(model, optimizer: optimizer, loss: loss, inputs: inputs, targets: targets,
                                          sampleWeights: sampleWeights, validation: validation, metric: metric,
                                          callbacks: callbacks)
        }
    }

    private func fitRetainingMemory<O: Optimizer>(
        _ model: some Layer, optimizer: O, loss: some Loss,
        inputs: Tensor, targets: Tensor, sampleWeights: [Float]?,
        validation: (inputs: Tensor, targets: Tensor)?,
        metric: Metric, callbacks: TrainingCallbacks
    ) throws -> TrainingHistory {
        let n = inputs.shape.first ?? 0
        guard n > 0 else { throw TrainingError.emptyTrainingSet }
        guard targets.shape.first == n else {
            throw TrainingError.sampleCountMismatch(inputs: n, targets: targets.shape.first ?? 0, what: "training set")
        }
        if let w = sampleWeights, w.count != n {
            throw TrainingError.sampleCountMismatch(inputs: n, targets: w.count, what: "sample weights")
        }
        if let v = validation, v.inputs.shape.first != v.targets.shape.first {
            throw TrainingError.sampleCountMismatch(inputs: v.inputs.shape.first ?? 0, targets: v.targets.shape.first ?? 0,
                                                    what: "validation set")
        }
        guard config.epochs > 0, config.batchSize > 0 else { throw TrainingError.invalidConfig("epochs and batchSize must be positive") }
        if case .fixed(let t) = config.threads, t < 1 { throw TrainingError.invalidConfig("threads must be at least 1") }

        let runner = OptimizerRunner(optimizer, parameters: model.parameters)
        let monitorHigher = validation != nil ? metric.higherIsBetter : false
        let plateau = config.reduceOnPlateau.map {
            ReduceOnPlateau(factor: $0.factor, patience: $0.patience, higherIsBetter: monitorHigher)
        }
        var rng = SeededGenerator(seed: config.seed)
        let batches = (n + config.batchSize - 1) / config.batchSize

        // Thread selection: fixed, or measured on the first real batches (no wasted work).
        var threads: Int
        var probe: (warmup: Int, each: Int)?
        switch config.threads {
        case .fixed(let t):
            threads = t
        case .auto:
            threads = ThreadCount.auto.resolved
            if threads > 1 && batches >= 5 { probe = (1, 2) }
        }
        Threading.setCount(probe != nil ? 1 : threads)
        var probeTimes = [Double](repeating: 0, count: 2)

        var records: [EpochRecord] = []
        var best: (value: Double, epoch: Int, state: [(name: String, tensor: Tensor)])?
        var stale = 0, stoppedEarly = false, step = 0
        for epoch in 1...config.epochs {
            let start = Date()
            let order = rng.permutation(n)
            var lossSum = 0.0, weightSum = 0.0, lastRate: Float = 0
            for b in 0..<batches {
                let batchStart = Date()
                let idx = Array(order[(b * config.batchSize)..<min(n, (b + 1) * config.batchSize)])
                var x = inputs.gatherBatch(idx)
                let y = targets.gatherBatch(idx)
                if let augment = callbacks.augment { x = augment(x, epoch, b) }
                let w = sampleWeights.map { ws in idx.map { ws[$0] } }
                let out = model.forward(x, training: true)
                let (value, grad) = loss.evaluate(output: out, target: y, sampleWeights: w)
                guard value.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch, batch: b) }
                model.backwardParameters(grad)
                if let c = config.clipNorm { clipGradients(runner.parameters, maxNorm: c) }
                let rate = config.schedule(step) * (plateau?.scale ?? 1)
                runner.step(learningRate: rate)
                step += 1
                lastRate = rate
                let bw = Double(w?.reduce(0, +) ?? Float(idx.count))
                lossSum += Double(value) * bw
                weightSum += bw
                callbacks.onBatchEnd?(epoch, b, batches, value)

                if let p = probe, epoch == 1 {
                    let elapsed = Date().timeIntervalSince(batchStart)
                    let measured = b - p.warmup
                    if measured >= 0 && measured < 2 * p.each { probeTimes[measured / p.each] += elapsed }
                    if measured == p.each - 1 { Threading.setCount(ThreadCount.auto.resolved) }
                    if measured == 2 * p.each - 1 {
                        threads = probeTimes[1] < probeTimes[0] ? ThreadCount.auto.resolved : 1
                        Threading.setCount(threads)
                        probe = nil
                    }
                }
            }
            var record = EpochRecord(epoch: epoch, trainLoss: weightSum > 0 ? lossSum / weightSum : 0,
                                     validationLoss: nil, metric: nil, learningRate: Double(lastRate), seconds: 0)
            var monitoredValue = record.trainLoss
            if let v = validation {
                let out = Trainer.predict(model, v.inputs)
                record.validationLoss = Double(loss.evaluate(output: out, target: v.targets).value)
                let m = metric.evaluate(out, v.targets)
                record.metric = m
                monitoredValue = m
            }
            record.seconds = Date().timeIntervalSince(start)
            records.append(record)

            let improved = best.map { monitorHigher ? monitoredValue > $0.value : monitoredValue < $0.value } ?? true
            if improved {
                best = (monitoredValue, epoch, config.restoreBestWeights ? model.stateSnapshot() : [])
                stale = 0
            } else {
                stale += 1
            }
            plateau?.observe(monitoredValue)
            if callbacks.onEpochEnd?(record) == false { break }
            if let patience = config.earlyStoppingPatience, stale > patience {
                stoppedEarly = epoch < config.epochs
                break
            }
        }
        if probe != nil { Threading.setCount(threads) }
        if config.restoreBestWeights, let best, best.epoch != records.last?.epoch {
            try model.loadState(Dictionary(best.state.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a }))
        }
        return TrainingHistory(metricName: metric.name,
                               monitored: validation != nil ? "validation \(metric.name)" : "training loss",
                               records: records, bestEpoch: best?.epoch ?? records.count,
                               stoppedEarly: stoppedEarly, threads: threads)
    }

    /// Inference in batches of `batchSize` with `training: false`, each run in cache-sized
    /// tiles (``InferenceTiling``): the same outputs up to floating-point rounding (OpenBLAS
    /// blocks a narrower GEMM differently), computed with less memory traffic.
    public static func predict(_ model: some Layer, _ inputs: Tensor, batchSize: Int = 256) -> Tensor {
        let n = inputs.shape.first ?? 0
        let batchSize = InferenceTiling.tileSize(for: model, sample: Array(inputs.shape.dropFirst()), batchSize: batchSize)
        if n <= batchSize { return model.forward(inputs, training: false) }
        var parts: [Tensor] = []
        var s = 0
        while s < n {
            let e = min(n, s + batchSize)
            parts.append(model.forward(inputs.sliceBatch(s..<e), training: false))
            s = e
        }
        return Tensor.concatenateBatch(parts)
    }
}
