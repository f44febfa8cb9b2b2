"""Peers of `lepton-bench iforest`: PyOD's IForest and scikit-learn's IsolationForest (100 trees,
256 samples, two jobs), fit + score on the same numeric columns; AUC against the label column.
Prints one JSON object per tool (seconds, auc)."""
import argparse
import json
import time

import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--columns", required=True)
    parser.add_argument("--tool", default="sklearn")
    args = parser.parse_args()
    df = pd.read_csv(args.file)
    x = df[args.columns.split(",")].to_numpy()
    y = df[args.label].to_numpy()
    start = time.perf_counter()
    if args.tool == "pyod":
        from pyod.models.iforest import IForest
        import pyod
        model = IForest(n_estimators=100, max_samples=256, n_jobs=2, random_state=0).fit(x)
        scores = model.decision_function(x)
        name = f"PyOD {pyod.__version__}"
    else:
        import sklearn
        model = IsolationForest(n_estimators=100, max_samples=256, n_jobs=2, random_state=0).fit(x)
        scores = -model.score_samples(x)
        name = f"scikit-learn {sklearn.__version__}"
    seconds = time.perf_counter() - start
    print(json.dumps({"tool": name, "seconds": seconds, "auc": roc_auc_score(y, scores)}))


if __name__ == "__main__":
    main()
