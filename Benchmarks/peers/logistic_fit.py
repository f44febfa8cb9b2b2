"""Peer for `lepton-bench logistic`: scikit-learn LogisticRegression (lbfgs, L2) on the same CSV.

Times only the fit. Prints one JSON object like `lepton-bench logistic --json`, with the
objective C·Σ log-loss + ½‖β‖² so that both solutions can be seen to be equally converged.
"""
import argparse
import json
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", required=True)
    parser.add_argument("--target", default="y")
    parser.add_argument("--c", type=float, default=1.0)
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    frame = pd.read_csv(args.file)
    y = frame.pop(args.target).to_numpy()
    x = frame.to_numpy(dtype=np.float64)
    model = LogisticRegression(C=args.c, solver="lbfgs", tol=args.tol, max_iter=10000)
    with threadpool_limits(limits=args.threads):
        start = time.perf_counter()
        model.fit(x, y)
        seconds = time.perf_counter() - start
    z = x @ model.coef_[0] + model.intercept_[0]
    loss = np.sum(np.logaddexp(0, z) - y * z)
    objective = args.c * loss + 0.5 * float(model.coef_[0] @ model.coef_[0])
    print(json.dumps({"tool": f"scikit-learn {sklearn.__version__} lbfgs", "fit_seconds": seconds, "rows": len(y),
                      "features": x.shape[1], "auc": roc_auc_score(y, z), "objective": objective,
                      "iterations": int(model.n_iter_[0])}, sort_keys=True))


if __name__ == "__main__":
    main()
