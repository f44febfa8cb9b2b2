import Foundation
import LeptonCore
import LeptonIO

/// Seeded synthetic logs the project generates itself (`lepton-qc synth`).
public enum LineSynth {
    /// A per-part log following the failure mechanisms the AI4I 2020 documentation describes
    /// (Matzka 2020): product type L/M/H (50/30/20 %); air temperature a random walk around 300 K
    /// (σ 2 K); process temperature air + 10 K (σ 1 K); rotational speed falling with torque
    /// (−15 rpm per Nm around 1,540 rpm, σ 70); torque around 40 Nm (σ 10, not negative); tool wear growing by 2/3/5 min
    /// per part for L/M/H until the tool is replaced at a random wear between 200 and 240 min.
    /// Failure modes: tool wear failure (TWF) at replacement in about half the cases; heat
    /// dissipation (HDF) when process − air < 8.6 K and speed < 1,380 rpm; power (PWF) when
    /// torque · speed (rad/s) < 3,500 W or > 9,000 W; overstrain (OSF) when wear · torque exceeds
    /// 11,000 / 12,000 / 13,000 min·Nm for L / M / H; random failures (RNF) with probability 0.1 %.
    /// `Machine failure` is 1 when any mode fires. Columns as in AI4I 2020.
    public static func writeParts(to path: String, rows: Int, seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let file = try CSVWriter(path: path)
        do {
            try file.writeRow(["UDI", "Product ID", "Type", "Air temperature [K]", "Process temperature [K]", "Rotational speed [rpm]",
                               "Torque [Nm]", "Tool wear [min]", "Machine failure", "TWF", "HDF", "PWF", "OSF", "RNF"])
            var air = 300.0, wear = 0.0, replaceAt = 200 + rng.uniform() * 40
            for i in 0..<rows {
                let u = rng.uniform()
                let type = u < 0.5 ? "L" : (u < 0.8 ? "M" : "H")
                air = 300 + (air - 300) * 0.995 + rng.normal(sd: 0.2)
                let process = air + 10 + rng.normal(sd: 1)
                let torque = max(3, 40 + rng.normal(sd: 10))
                let speed = max(1168, 1540 - 15 * (torque - 40) + rng.normal(sd: 70))  // falls as torque rises, as in AI4I
                wear += type == "L" ? 2 : (type == "M" ? 3 : 5)
                var twf = 0
                if wear >= replaceAt {
                    twf = rng.uniform() < 0.5 ? 1 : 0
                }
                let hdf = process - air < 8.6 && speed < 1380 ? 1 : 0
                let power = torque * speed * 2 * .pi / 60
                let pwf = power < 3500 || power > 9000 ? 1 : 0
                let limit = type == "L" ? 11000.0 : (type == "M" ? 12000 : 13000)
                let osf = wear * torque > limit ? 1 : 0
                let rnf = rng.uniform() < 0.001 ? 1 : 0
                let failure = max(twf, hdf, pwf, osf, rnf)
                try file.writeRow([String(i + 1), "\(type)\(10000 + Int(rng.next() % 90000))", type, String(format: "%.1f", air),
                                   String(format: "%.1f", process), String(Int(speed.rounded())), String(format: "%.1f", torque),
                                   String(Int(wear)), String(failure), String(twf), String(hdf), String(pwf), String(osf), String(rnf)])
                if wear >= replaceAt || failure == 1 && (osf == 1 || twf == 1) {
                    wear = 0
                    replaceAt = 200 + rng.uniform() * 40
                }
            }
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
    }

    /// A multi-machine time-series log: every `interval` seconds from 2026-01-01T00:00:00Z each of
    /// `machines` machines reports temperature, vibration and pressure (independent normal noise
    /// around its own levels), with injected faults per machine — a mean shift of 2σ in
    /// temperature, a linear drift in vibration, and a doubled pressure variance — each over a
    /// stated window, marked in the `fault` column (the fault kind, empty when none); about
    /// 0.5 % of readings are missing. Rows are in time order.
    public static func writeTimeSeries(to path: String, rows: Int, seed: UInt64, machines: Int = 4, interval: Int = 60) throws {
        var rng = SeededGenerator(seed: seed)
        let file = try CSVWriter(path: path)
        let start = 1_767_225_600  // 2026-01-01T00:00:00Z
        let steps = max(1, rows / max(machines, 1))
        let formatter = ISO8601DateFormatter()
        do {
            try file.writeRow(["timestamp", "machine", "temperature [C]", "vibration [mm/s]", "pressure [bar]", "fault"])
            for t in 0..<steps {
                for m in 0..<machines {
                    var temperature = 60 + Double(m) + rng.normal(sd: 0.5)
                    var vibration = 2 + 0.1 * Double(m) + rng.normal(sd: 0.2)
                    var pressure = 5 + rng.normal(sd: 0.1)
                    // Each machine's faults, at fractions of the log.
                    let phase = Double(t) / Double(steps)
                    var fault = ""
                    if m % 3 == 0, phase > 0.4, phase < 0.5 { temperature += 1.0; fault = "shift" }
                    if m % 3 == 1, phase > 0.6, phase < 0.75 { vibration += 0.02 * Double(t - Int(0.6 * Double(steps))); fault = "drift" }
                    if m % 3 == 2, phase > 0.8, phase < 0.9 { pressure += rng.normal(sd: 0.1); fault = "variance" }
                    func shown(_ v: Double, _ format: String) -> String { rng.uniform() < 0.005 ? "" : String(format: format, v) }
                    let time = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(start + t * interval)))
                    try file.writeRow([time, "M\(m + 1)", shown(temperature, "%.2f"), shown(vibration, "%.3f"), shown(pressure, "%.3f"), fault])
                }
            }
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
    }
}
