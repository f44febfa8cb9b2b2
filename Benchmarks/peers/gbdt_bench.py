"""Peer side of `lepton-bench gbdt`: the same generated binary task, fitted by LightGBM (or
scikit-learn's HistGradientBoostingClassifier) with the same hyperparameters on 2 threads.

Task (identical formulas in Benchmarks/Sources/lepton-bench/GBDTBench.swift):
  U(k) = (splitmix64(seed + (k + 1) * 0x9E3779B97F4A7C15) >> 11) * 2^-53
  row i, feature j < F: x_ij = float32(4 U(64 i + j) − 2); missing when U(64 i + 32 + j) < 0.05
  logit_i = 0.8 x0 − 0.6 x1 + 0.5 x2 x3 − 0.7 x4 x5 + sin(2 x6) + 0.8 [x7 > 0.5] x8 + 0.3 x9² − 0.6
            + 0.1 Σ_{10 ≤ j < 20} x_j   (on the values before masking)
  y_i = [U(64 i + 63) < σ(logit_i)];  test rows are i = n … n + test_rows − 1.
Prints one JSON object: tool, rows, fit_seconds, auc, predict_rows_per_s.
"""
import argparse
import json
import os
import time

import numpy as np

GAMMA = np.uint64(0x9E3779B97F4A7C15)


def splitmix_uniform(keys, seed):
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + (keys + np.uint64(1)) * GAMMA
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def generate(start, count, features, seed):
    rows = np.arange(start, start + count, dtype=np.uint64) * np.uint64(64)
    x = np.empty((count, features), dtype=np.float32)
    for j in range(features):
        x[:, j] = (4 * splitmix_uniform(rows + np.uint64(j), seed) - 2).astype(np.float32)
    v = x.astype(np.float64)
    logit = (0.8 * v[:, 0] - 0.6 * v[:, 1] + 0.5 * v[:, 2] * v[:, 3] - 0.7 * v[:, 4] * v[:, 5] + np.sin(2 * v[:, 6])
             + 0.8 * (v[:, 7] > 0.5) * v[:, 8] + 0.3 * v[:, 9] ** 2 - 0.6 + 0.1 * v[:, 10:20].sum(axis=1))
    y = (splitmix_uniform(rows + np.uint64(63), seed) < 1 / (1 + np.exp(-logit))).astype(np.float64)
    for j in range(features):
        x[splitmix_uniform(rows + np.uint64(32 + j), seed) < 0.05, j] = np.nan
    return x, y


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--test-rows", type=int, default=200_000)
    p.add_argument("--features", type=int, default=30)
    p.add_argument("--rounds", type=int, default=100)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--peer", choices=["lightgbm", "sklearn"], default="lightgbm")
    a = p.parse_args()
    x, y = generate(0, a.rows, a.features, a.seed)
    tx, ty = generate(a.rows, a.test_rows, a.features, a.seed)
    from sklearn.metrics import roc_auc_score
    if a.peer == "lightgbm":
        import lightgbm as lgb
        params = dict(objective="binary", learning_rate=0.1, num_leaves=31, min_data_in_leaf=20,
                      min_sum_hessian_in_leaf=1e-3, lambda_l2=0.0, max_bin=255, num_threads=a.threads,
                      verbose=-1, seed=a.seed, force_row_wise=False)
        t0 = time.perf_counter()
        booster = lgb.train(params, lgb.Dataset(x, y), a.rounds)
        fit = time.perf_counter() - t0
        t0 = time.perf_counter()
        scores = booster.predict(tx, raw_score=True, num_threads=a.threads)
        pred = time.perf_counter() - t0
        tool = f"lightgbm {lgb.__version__}"
    else:
        from threadpoolctl import threadpool_limits
        from sklearn.ensemble import HistGradientBoostingClassifier
        import sklearn
        with threadpool_limits(a.threads):
            model = HistGradientBoostingClassifier(max_iter=a.rounds, learning_rate=0.1, max_leaf_nodes=31,
                                                   min_samples_leaf=20, max_bins=255, l2_regularization=0.0,
                                                   early_stopping=False, random_state=a.seed)
            t0 = time.perf_counter()
            model.fit(x, y)
            fit = time.perf_counter() - t0
            t0 = time.perf_counter()
            scores = model.decision_function(tx)
            pred = time.perf_counter() - t0
        tool = f"sklearn {sklearn.__version__}"
    print(json.dumps({"tool": tool, "rows": a.rows, "threads": a.threads, "fit_seconds": fit,
                      "auc": roc_auc_score(ty, scores), "predict_rows_per_s": a.test_rows / pred,
                      "positive_rate": float(y.mean()), "checksum_x00": float(np.nansum(x[:1000, 0]))}))


if __name__ == "__main__":
    main()
