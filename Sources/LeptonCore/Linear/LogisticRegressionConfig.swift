/// Settings of a logistic regression: plain values, no logic (scikit-learn's conventions).
///
/// The objective minimised over coefficients β (one per feature) and intercept b is
///
///     C · Σᵢ sᵢ · ℓ(yᵢ, xᵢ·β + b) + R(β)
///
/// with ℓ(y, z) = log(1 + eᶻ) − y·z the log-loss, sᵢ the sample weight times the class weight,
/// and R the penalty: none; L2 ½‖β‖²; L1 ‖β‖₁; elastic net ρ‖β‖₁ + (1−ρ)/2 ‖β‖². The
/// intercept is never penalised. This is exactly scikit-learn's `LogisticRegression`
/// objective for the same `C`, so fitted coefficients agree with its solvers.
public struct LogisticRegressionConfig: Sendable, Codable, Equatable {
    public enum Penalty: Sendable, Codable, Equatable {
        case none
        case l2
        case l1
        /// ρ ∈ [0, 1]: the L1 share of the penalty.
        case elasticNet(l1Ratio: Double)
    }

    /// How the two classes are weighted on top of sample weights.
    public enum ClassWeighting: Sendable, Codable, Equatable {
        case none
        /// W / (2 · W_class) for each class, W being total sample weight (n without sample
        /// weights), as scikit-learn's `class_weight="balanced"`.
        case balanced
        case custom(negative: Double, positive: Double)
    }

    public var penalty: Penalty = .l2
    /// Inverse regularisation strength (larger C, weaker penalty).
    public var C: Double = 1
    public var fitIntercept = true
    public var classWeighting: ClassWeighting = .none
    /// Solve in standardised coordinates (features centred and scaled to unit variance),
    /// which conditions the problem; the penalty still applies to the coefficients on the
    /// original scale unless `penalizeStandardized` is set, so the solution does not change.
    public var standardize = true
    /// Apply the penalty to coefficients of the standardised features (glmnet's convention)
    /// instead of the original ones (scikit-learn's).
    public var penalizeStandardized = false
    /// Stop when the largest gradient component (L-BFGS), or the largest coefficient change
    /// relative to the coefficients (coordinate descent), falls below this.
    public var tolerance = 1e-8
    public var maxIterations = 1000
    /// Stop after this many seconds of solving (nil: no limit besides `maxIterations`); the
    /// model then reports `converged == false` and the message "time limit reached".
    public var timeLimit: Double?
    /// Cores used for the per-row sums; 0: `auto`, every core (``ThreadCount``).
    public var threads = 0

    public init() {}

    public init(penalty: Penalty, C: Double = 1, fitIntercept: Bool = true) {
        self.penalty = penalty
        self.C = C
        self.fitIntercept = fitIntercept
    }
}
