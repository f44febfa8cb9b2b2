"""Peer of `lepton-credit train`: optbinning BinningProcess + scikit-learn LogisticRegression.

read_csv → BinningProcess (optimal binning of every characteristic, WOE transform, IV ≥ 0.02)
→ LogisticRegression on the WOE columns → in-sample AUC. Prints one JSON object (seconds,
auc, rows).
"""
import argparse
import json
import time

import numpy as np
import optbinning
import pandas as pd
from optbinning import BinningProcess
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--bad", required=True)
    parser.add_argument("--drop", default="")
    args = parser.parse_args()
    start = time.perf_counter()
    df = pd.read_csv(args.data)
    y = (df[args.target].astype(str) == args.bad).astype(int).to_numpy()
    drop = [c for c in args.drop.split(",") if c]
    x = df.drop(columns=[args.target] + drop)
    categorical = [c for c in x.columns if x[c].dtype == object]
    process = BinningProcess(list(x.columns), categorical_variables=categorical, max_n_bins=6, min_bin_size=0.05,
                             selection_criteria={"iv": {"min": 0.02}})
    woe = process.fit_transform(x, y)
    model = LogisticRegression(C=1e6, max_iter=1000).fit(woe, y)
    auc = roc_auc_score(y, model.predict_proba(woe)[:, 1])
    seconds = time.perf_counter() - start
    print(json.dumps({"tool": f"optbinning {optbinning.__version__}", "seconds": seconds, "auc": auc, "rows": len(df)}))


if __name__ == "__main__":
    main()
