internal import COpenBLAS

/// The one funnel through which LeptonCore reaches BLAS (Caffe's `math_functions.cpp` idea):
/// row-major layout and leading dimensions are worked out here once, and nowhere else.
public enum BLAS {
    /// Whether an operand is used as stored or transposed.
    public enum Transpose: Sendable { case none, transpose }

    /// General matrix multiply, row-major:
    /// `C ← α · op(A) · op(B) + β · C`, with op(A) of shape (m, k), op(B) of shape (k, n), C of shape (m, n).
    ///
    /// - Parameters:
    ///   - a: `m × k` values when `transA == .none`, else `k × m`, row-major and contiguous.
    ///   - b: `k × n` values when `transB == .none`, else `n × k`, row-major and contiguous.
    ///   - c: `m × n` values, row-major; read when `beta != 0`.
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        beta: Float = 0, c: UnsafeMutablePointer<Float>
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative dimension")
        guard m > 0, n > 0 else { return }
        let lda = transA == .none ? k : m
        let ldb = transB == .none ? n : k
        // Safe: the caller hands pointers to buffers of the documented sizes; BLAS reads
        // exactly op(A) (m×k), op(B) (k×n) and writes C (m×n) with the strides computed above.
        cblas_sgemm(
            CblasRowMajor,
            transA == .none ? CblasNoTrans : CblasTrans,
            transB == .none ? CblasNoTrans : CblasTrans,
            Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)), beta, c, Int32(max(n, 1)))
    }

    /// The naive twin of ``gemm(_:_:m:n:k:alpha:a:b:beta:c:)``: three loops, accumulated in Double.
    /// Tests check the two agree; it is never used on a hot path.
    public static func naiveGemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        beta: Float = 0, c: UnsafeMutablePointer<Float>
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let av = transA == .none ? a[i * k + p] : a[p * m + i]
                    let bv = transB == .none ? b[p * n + j] : b[j * k + p]
                    sum += Double(av) * Double(bv)
                }
                let previous = beta == 0 ? 0 : Double(beta) * Double(c[i * n + j])
                c[i * n + j] = Float(Double(alpha) * sum + previous)
            }
        }
    }

    /// Number of threads OpenBLAS uses. Process-global: change it only from one place at a time.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
    }

    /// Sets the number of threads OpenBLAS uses for every later call in this process.
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "BLAS thread count must be at least 1")
        openblas_set_num_threads(Int32(count))
    }

    /// The OpenBLAS kernel set in use (OpenBLAS's core name, e.g. `Cooperlake`, `Haswell`), for
    /// reports. OpenBLAS picks it when it loads, from the CPU or from `OPENBLAS_CORETYPE`; on
    /// this project's Zen 4 machine it picks the AVX-512 `Cooperlake` kernels unless the
    /// environment pins another set (the machine image pins `Haswell`, which halves GEMM speed).
    public static var kernels: String { coreName() }

    private static func coreName() -> String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}
