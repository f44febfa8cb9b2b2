import LeptonCore

/// Makes OpenBLAS's kernel choice (``BLAS/kernels``) now, at start-up, before any thread runs:
/// the choice may set an environment variable and re-initialise OpenBLAS.
func selectBLASKernels() {
    _ = BLAS.kernels
}
