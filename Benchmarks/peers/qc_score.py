"""Peer of `lepton-qc score`: pandas + LightGBM (defaults) trained on the same parts and features,
then the timed pipeline read_csv → derived features → predict → to_csv. Prints one JSON object."""
import argparse
import json
import time

import lightgbm as lgb
import numpy as np
import pandas as pd

DROP = ["UDI", "Product ID", "Machine failure", "TWF", "HDF", "PWF", "OSF", "RNF"]


def features(df):
    x = df.drop(columns=[c for c in DROP if c in df.columns])
    x["Type"] = x["Type"].astype("category")
    x["power"] = x["Torque [Nm]"] * x["Rotational speed [rpm]"] * 2 * np.pi / 60
    x["temperature_difference"] = x["Process temperature [K]"] - x["Air temperature [K]"]
    x["strain"] = x["Tool wear [min]"] * x["Torque [Nm]"]
    # LightGBM refuses brackets in feature names.
    return x.rename(columns=lambda c: c.replace("[", "(").replace("]", ")"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    train = pd.read_csv(args.train)
    model = lgb.LGBMClassifier(verbose=-1, n_jobs=2).fit(features(train), train["Machine failure"])
    start = time.perf_counter()
    df = pd.read_csv(args.input)
    scores = model.predict_proba(features(df))[:, 1]
    pd.DataFrame({"UDI": df["UDI"], "score": scores, "alert": (scores >= 0.5).astype(int)}).to_csv(args.output, index=False)
    seconds = time.perf_counter() - start
    print(json.dumps({"tool": f"pandas {pd.__version__} + LightGBM {lgb.__version__}", "seconds": seconds, "rows": len(df)}))


if __name__ == "__main__":
    main()
