/// Derived features from the physics of the AI4I 2020 failure mechanisms (as `--feature`
/// definitions): mechanical power (W) from torque and speed, the heat-dissipation temperature
/// difference (K), and the overstrain product of tool wear and torque (min·Nm).
public enum PhysicsFeatures {
    public static let ai4i = [
        #"power = "Torque [Nm]" * "Rotational speed [rpm]" * 2 * pi / 60"#,
        #"temperature_difference = "Process temperature [K]" - "Air temperature [K]""#,
        #"strain = "Tool wear [min]" * "Torque [Nm]""#,
    ]

    /// The columns of an AI4I-style log that are not features: identifiers and the failure-mode
    /// flags (which leak the label).
    public static let ai4iNonFeatures = ["UDI", "Product ID", "TWF", "HDF", "PWF", "OSF", "RNF"]
}
