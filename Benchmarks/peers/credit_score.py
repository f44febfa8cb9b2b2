"""Peer of `lepton-credit score`: pandas + scikit-learn batch scoring with the same scorecard.

read_csv → WOE per characteristic from the exported bins (lepton-credit export --format json)
→ LogisticRegression.predict_proba with the scorecard's coefficients → integer points per bin
summed to the score → decision at the cut-off → to_csv. Prints one JSON object (seconds,
rows_per_second, rows). Reason codes are not computed (lighter work for the peer).
"""
import argparse
import json
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression


def bin_index(series, ch, missing_tokens):
    """The bin of every value, by the scorecard's rules (missing, specials, ranges or categories, other)."""
    bins = ch["bins"]
    text = series.astype("string")
    low = text.str.strip().str.lower()
    missing = series.isna() | low.isin(missing_tokens)
    out = np.full(len(series), -1, dtype=np.int64)
    missing_bin = next(i for i, b in enumerate(bins) if b["kind"] == "missing")
    out[missing.to_numpy()] = missing_bin
    if ch["kind"] == "numeric":
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        for i, b in enumerate(bins):
            if b["kind"] == "special":
                out[(out < 0) & (values == float(b["special"]))] = i
        ranges = [(i, b) for i, b in enumerate(bins) if b["kind"] == "range"]
        uppers = np.array([b["upper"] for _, b in ranges[:-1]], dtype=float)
        idx = np.searchsorted(uppers, values, side="right")
        range_bins = np.array([i for i, _ in ranges])[idx]
        out = np.where(out < 0, range_bins, out)
    else:
        mapping = {}
        other = None
        for i, b in enumerate(bins):
            if b["kind"] == "categories":
                for c in b["categories"]:
                    mapping[c] = i
                if b.get("includes_other"):
                    other = i
            elif b["kind"] == "special":
                mapping[b["special"]] = i
            elif b["kind"] == "other":
                other = i
        mapped = text.map(mapping).fillna(other).to_numpy(dtype=np.int64)
        out = np.where(out < 0, mapped, out)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scorecard", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    card = json.load(open(args.scorecard))
    names = [c["name"] for c in card["characteristics"]]
    id_column = card.get("id_column")
    start = time.perf_counter()
    df = pd.read_csv(args.input, usecols=names + ([id_column] if id_column else []), dtype=str, keep_default_na=False)
    woe = np.empty((len(df), len(names)))
    score = np.full(len(df), card["base_points"], dtype=np.int64)
    for j, ch in enumerate(card["characteristics"]):
        b = bin_index(df[ch["name"]], ch, card["missing_tokens"])
        woe[:, j] = np.array([x["woe"] for x in ch["bins"]])[b]
        score += np.array([x["points"] for x in ch["bins"]])[b]
    model = LogisticRegression()
    model.classes_ = np.array([0, 1])
    model.coef_ = np.array([[c["coefficient"] for c in card["characteristics"]]])
    model.intercept_ = np.array([card["intercept"]])
    pd_model = model.predict_proba(woe)[:, 1]
    out = pd.DataFrame({id_column or "row": df[id_column] if id_column else np.arange(len(df)) + 2,
                        "pd": np.round(pd_model, 6), "score": score,
                        "decision": np.where(score >= card["cutoff"], "approve", "decline")})
    out.to_csv(args.output, index=False)
    seconds = time.perf_counter() - start
    print(json.dumps({"tool": f"pandas {pd.__version__} + scikit-learn {sklearn.__version__}", "seconds": seconds,
                      "rows": len(df), "rows_per_second": len(df) / seconds}))


if __name__ == "__main__":
    main()
