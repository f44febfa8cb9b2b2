"""A seeded loan file shaped like "Give Me Some Credit": revolving utilisation with a heavy tail,
age, three delinquency counts (zero-inflated, with bureau codes 96 and 98), debt ratio, monthly
income (20 % missing), open lines, real-estate loans, dependents (with missing) and three
pure-noise columns; about 6 % bad. Writes train.csv and test.csv (a 70/30 split) in the
current folder, for held-out comparisons of lepton-credit with optbinning + LR and LightGBM.

    python make_credit_like.py [ROWS] [SEED]
"""
import sys

import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 30000
rng = np.random.default_rng(int(sys.argv[2]) if len(sys.argv) > 2 else 7)
age = np.clip(rng.normal(52, 15, n).round(), 21, 100)
util = np.where(rng.random(n) < 0.02, rng.lognormal(6, 2, n), np.clip(rng.beta(0.6, 1.2, n), 0, 1.2))
income = rng.lognormal(8.6, 0.6, n).round()
income_missing = rng.random(n) < 0.2
debt = np.where(income_missing, rng.lognormal(6, 1.5, n), rng.gamma(1.5, 0.25, n))
lines = rng.poisson(8, n)
estate = rng.poisson(1, n)
deps = np.minimum(rng.poisson(0.8, n), 8).astype(float)
deps[rng.random(n) < 0.026] = np.nan
risk = rng.normal(0, 1, n)  # latent delinquency propensity


def counts(scale, zero):
    return rng.poisson(np.exp(risk * scale - zero))


l30, l60, l90 = counts(0.9, 2.3), counts(1.1, 3.4), counts(1.2, 3.2)
codes = rng.random(n) < 0.002
for c in (l30, l60, l90):
    c[codes] = np.where(rng.random(codes.sum()) < 0.5, 96, 98)
z = (-3.1 + 0.9 * np.minimum(l30, 4) + 1.2 * np.minimum(l60, 3) + 1.4 * np.minimum(l90, 3) + 1.5 * np.minimum(util, 1.0)
     - 0.02 * (age - 50) - 0.15 * np.log1p(np.where(income_missing, 5000, income)) + 0.4 * risk + 2.5 * codes
     + rng.normal(0, 1.0, n))
y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
noise = [rng.normal(0, 1, n), rng.integers(0, 10, n), rng.lognormal(0, 1, n)]
columns = ["id", "default", "revolving_util", "age", "late_30_59", "debt_ratio", "monthly_income", "open_lines", "late_90",
           "real_estate_loans", "late_60_89", "dependents", "noise_a", "noise_b", "noise_c"]
order = rng.permutation(n)
split = int(0.7 * n)
for name, rows in (("train.csv", order[:split]), ("test.csv", order[split:])):
    with open(name, "w") as f:
        f.write(",".join(columns) + "\n")
        for i in rows:
            inc = "" if income_missing[i] else "%d" % income[i]
            dp = "" if np.isnan(deps[i]) else "%d" % deps[i]
            f.write(f"{i},{y[i]},{util[i]:.6f},{age[i]:.0f},{l30[i]},{debt[i]:.6f},{inc},{lines[i]},{l90[i]},{estate[i]},{l60[i]},{dp},"
                    f"{noise[0][i]:.5f},{noise[1][i]},{noise[2][i]:.5f}\n")
print("bad rate", y.mean())
