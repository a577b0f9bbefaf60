"""Reference values for the sample-ratio-mismatch check (src/experiments/health.ts).

scipy.stats.chi2.sf(x, df) on a grid of statistics and degrees of freedom, and
scipy.stats.chisquare(observed, expected) on a few assignment tables (the expected counts
are sums of logged propensities, rescaled to the observed total as the check does).
Output: test/fixtures/service/srm-chi2.json.

Run with any Python that has scipy:
    python3 scripts/reference/srm_chi2.py
"""

import json
import os

import scipy
from scipy import stats

SF = []
for df in [1, 2, 3, 4, 9, 30, 99]:
    for x in [0.0, 0.01, 0.5, 1.0, 2.5, 7.8, 15.0, 40.0, 120.0, 400.0]:
        SF.append({"x": x, "df": df, "sf": float(stats.chi2.sf(x, df))})

TABLES = [
    ([500, 500], [500.0, 500.0]),
    ([520, 480], [500.0, 500.0]),
    ([560, 440], [500.0, 500.0]),
    ([1000, 1200, 800], [1010.2, 1195.5, 794.3]),
    ([100, 250, 650], [333.3, 333.3, 333.4]),
    ([5021, 4979, 10123], [5000.0, 5000.0, 10000.0]),
]
CHISQ = []
for obs, exp in TABLES:
    total = sum(obs)
    scale = total / sum(exp)
    e = [v * scale for v in exp]
    r = stats.chisquare(obs, e)
    CHISQ.append({"observed": obs, "expected": exp, "statistic": float(r.statistic), "p_value": float(r.pvalue)})

out = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "service", "srm-chi2.json")
with open(out, "w") as f:
    json.dump({"scipy": scipy.__version__, "sf": SF, "chisquare": CHISQ}, f, indent=1)
    f.write("\n")
print(f"wrote {out}")
