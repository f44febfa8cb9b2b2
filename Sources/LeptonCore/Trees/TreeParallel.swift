import Dispatch
import LeptonIO

/// Resolves a configured thread count: 0 means `auto` (``ThreadCount/resolve(_:)``).
func resolvedTreeThreads(_ configured: Int) -> Int {
    ThreadCount.resolve(configured)
}

