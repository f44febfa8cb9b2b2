"""Peer of `lepton-bench chart-speed`: the same X̄–R (subgroups of 5) or I-MR limits and the eight
Nelson rules on N seeded normal points, vectorised with NumPy (rolling counts by cumulative sums).
Prints one JSON object (seconds, violations)."""
import argparse
import json
import time

import numpy as np

D2 = {2: 1.1283791670955126, 5: 2.3259289472810396}
D3 = {2: 0.8525024664227237, 5: 0.8640819411510084}


def runs(mask):
    """Length of the run of True ending at each position."""
    idx = np.arange(len(mask))
    last_false = np.maximum.accumulate(np.where(~mask, idx, -1))
    return idx - last_false


def window_count(mask, w):
    c = np.concatenate([[0], np.cumsum(mask)])
    out = np.zeros(len(mask), dtype=np.int64)
    out[w - 1:] = c[w:] - c[:-w]
    return out


def nelson(points, center, ucl):
    z = (points - center) / ((ucl - center) / 3)
    n = len(points)
    found = 0
    found += np.count_nonzero(np.abs(z) > 3)
    found += np.count_nonzero((runs(z > 0) >= 9) | (runs(z < 0) >= 9))
    d = np.diff(points, prepend=np.nan)
    found += np.count_nonzero((runs(d > 0) >= 5) | (runs(d < 0) >= 5))
    alt = np.zeros(n, dtype=bool)
    alt[2:] = (d[2:] * d[1:-1]) < 0
    found += np.count_nonzero(runs(alt) >= 12)
    two = (window_count(z > 2, 3) >= 2) | (window_count(z < -2, 3) >= 2)
    two[:2] = False
    found += np.count_nonzero(two)
    four = (window_count(z > 1, 5) >= 4) | (window_count(z < -1, 5) >= 4)
    four[:4] = False
    found += np.count_nonzero(four)
    found += np.count_nonzero(runs(np.abs(z) < 1) >= 15)
    found += np.count_nonzero(runs(np.abs(z) > 1) >= 8)
    return int(found)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--type", default="xbar-r")
    args = parser.parse_args()
    values = np.random.default_rng(1).standard_normal(args.points)
    start = time.perf_counter()
    if args.type == "imr":
        center = values.mean()
        mr = np.abs(np.diff(values))
        sigma = mr.mean() / D2[2]
        v = nelson(values, center, center + 3 * sigma)
        v += nelson(mr, D2[2] * sigma, (D2[2] + 3 * D3[2]) * sigma)
    else:
        groups = values[: len(values) // 5 * 5].reshape(-1, 5)
        means, ranges = groups.mean(axis=1), np.ptp(groups, axis=1)
        sigma = (ranges / D2[5]).mean()
        center = values.mean()
        v = nelson(means, center, center + 3 * sigma / np.sqrt(5))
        v += nelson(ranges, D2[5] * sigma, (D2[5] + 3 * D3[5]) * sigma)
    seconds = time.perf_counter() - start
    print(json.dumps({"tool": f"numpy {np.__version__}", "seconds": seconds, "violations": v}))


if __name__ == "__main__":
    main()
