"""Reference numbers for Lepton's GBDT agreement test (Tests/LeptonCoreTests/Trees/GBDTLightGBMAgreementTests.swift).

Generates a fixed binary task (numpy, seed 2024), writes it to fixtures/gbdt_reference_{train,test}.csv
(3 decimals, empty field = missing, column `cat` holds category codes), trains LightGBM with the
hyperparameters the Swift test uses, and writes LightGBM's raw test margins (column `lgb_raw`) and
its test AUC (fixtures/gbdt_reference.json). Run: Benchmarks/peers/.venv/bin/python Benchmarks/peers/gbdt_reference.py
"""
import json
import os

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
PARAMS = dict(objective="binary", learning_rate=0.1, num_leaves=15, min_data_in_leaf=20, min_sum_hessian_in_leaf=1e-3,
              lambda_l1=0.0, lambda_l2=0.0, min_gain_to_split=0.0, max_bin=255, bagging_fraction=1.0,
              feature_fraction=1.0, cat_smooth=10.0, cat_l2=10.0, max_cat_threshold=32, min_data_per_group=50,
              num_threads=2, deterministic=True, verbose=-1, seed=1)
ROUNDS = 100


def generate(n, rng):
    x = rng.normal(size=(n, 8))
    cat = rng.integers(0, 10, n)
    effect = np.array([0.0, 1.0, -1.0, 0.5, 0.0, -0.5, 1.5, 0.0, -1.5, 0.2])
    logit = 1.5 * x[:, 0] - x[:, 1] + 0.8 * x[:, 2] * x[:, 3] + np.sin(2 * x[:, 4]) + effect[cat] + (x[:, 5] > 0.7) - 0.5
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    x = np.round(x, 3)
    x[rng.uniform(size=(n, 8)) < 0.05] = np.nan
    df = pd.DataFrame(x, columns=[f"x{j}" for j in range(8)])
    df["cat"] = cat
    df["label"] = y
    return df


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(2024)
    train, test = generate(4000, rng), generate(2000, rng)
    train.to_csv(os.path.join(OUT, "gbdt_reference_train.csv"), index=False, float_format="%.3f", na_rep="")
    # Read back what was written, so LightGBM trains on exactly the committed numbers.
    train = pd.read_csv(os.path.join(OUT, "gbdt_reference_train.csv"))
    test.to_csv(os.path.join(OUT, "gbdt_reference_test.csv"), index=False, float_format="%.3f", na_rep="")
    test = pd.read_csv(os.path.join(OUT, "gbdt_reference_test.csv"))
    features = [c for c in train.columns if c != "label"]
    booster = lgb.train(PARAMS, lgb.Dataset(train[features], train["label"], categorical_feature=["cat"]), ROUNDS)
    raw = booster.predict(test[features], raw_score=True)
    test["lgb_raw"] = np.round(raw, 6)
    test.to_csv(os.path.join(OUT, "gbdt_reference_test.csv"), index=False, float_format="%.6g", na_rep="")
    auc = roc_auc_score(test["label"], raw)
    with open(os.path.join(OUT, "gbdt_reference.json"), "w") as f:
        json.dump({"lightgbm_version": lgb.__version__, "rounds": ROUNDS, "params": PARAMS, "test_auc": auc}, f, indent=1)
    print(json.dumps({"test_auc": auc}))


if __name__ == "__main__":
    main()
