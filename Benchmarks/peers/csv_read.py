"""Peer for `lepton-bench csv`: pandas.read_csv of a numeric CSV into float32 columns.

Prints one JSON object (best of --repeat runs), like `lepton-bench csv --json`.
"""
import argparse
import json
import os
import time

import numpy as np
import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    best = float("inf")
    frame = None
    columns = []
    for _ in range(max(1, args.repeat)):
        start = time.perf_counter()
        frame = pd.read_csv(args.file, dtype=np.float32, engine="c")
        columns = [frame[c].to_numpy() for c in frame.columns]
        best = min(best, time.perf_counter() - start)
    megabytes = os.path.getsize(args.file) / 1e6
    checksum = float(sum(np.nansum(c, dtype=np.float64) for c in columns))
    print(json.dumps({"tool": f"pandas {pd.__version__}", "threads": 1, "seconds": best,
                      "mb_per_s": megabytes / best, "rows": len(frame), "columns": len(frame.columns),
                      "checksum": checksum}, sort_keys=True))


if __name__ == "__main__":
    main()
