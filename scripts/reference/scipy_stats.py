"""Reference values for src/core/evidence/stats.ts, computed by scipy.

Run with `npm run reference:scipy` (a venv with scipy; see package.json). Writes
test/data/reference/scipy-stats.json: the inputs and scipy's answers, which
test/unit/stats.test.ts compares with the TypeScript implementation.
"""
import json
import pathlib

import numpy as np
import scipy
from scipy import special, stats

rng = np.random.default_rng(20261130)
out = {"scipy": scipy.__version__, "t_sf": [], "norm_cdf": [], "betainc": [], "pearson": [], "mannwhitney": []}

for t, df in [(0.0, 5), (1.5, 3), (-2.0, 10), (2.5, 248), (4.9, 7000), (14.0, 7800), (0.3, 1)]:
    out["t_sf"].append({"t": t, "df": df, "sf": float(stats.t.sf(t, df))})
for z in [-3.5, -1.96, -0.5, 0.0, 0.7, 1.645, 2.58, 4.0]:
    out["norm_cdf"].append({"z": z, "cdf": float(stats.norm.cdf(z))})
for x, a, b in [(0.2, 2.0, 3.0), (0.9, 0.5, 0.5), (0.5, 10.0, 0.5), (0.01, 3.5, 124.0)]:
    out["betainc"].append({"x": x, "a": a, "b": b, "value": float(special.betainc(a, b, x))})

for n, strength in [(12, 0.0), (50, 0.3), (250, 0.05), (400, 0.9)]:
    x = rng.normal(size=n)
    y = strength * x + rng.normal(size=n)
    result = stats.pearsonr(x, y, alternative="greater")
    out["pearson"].append({"x": x.tolist(), "y": y.tolist(), "r": float(result.statistic), "p_positive": float(result.pvalue)})

for n1, n2, shift, rounding in [(30, 30, 0.0, 3), (60, 45, -0.4, 1), (200, 200, 0.1, 2), (25, 80, 0.8, 0)]:
    a = np.round(rng.normal(loc=shift, size=n1), rounding)
    b = np.round(rng.normal(size=n2), rounding)
    less = stats.mannwhitneyu(a, b, alternative="less", method="asymptotic", use_continuity=True)
    two = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic", use_continuity=True)
    out["mannwhitney"].append({"a": a.tolist(), "b": b.tolist(), "u": float(less.statistic), "p_less": float(less.pvalue), "p_two_sided": float(two.pvalue)})

path = pathlib.Path(__file__).resolve().parents[2] / "test" / "data" / "reference" / "scipy-stats.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path} with scipy {scipy.__version__}")
