"""Reference values for the dashboard's in-browser Beta density (src/dashboard/static/beta.js).

scipy.special.gammaln and scipy.stats.beta.logpdf at shapes from a fresh Beta(1, 1) arm to
click-through-rate posteriors of Open Bandit Dataset scale (mean ~ 0.3 %, alpha + beta in
the millions), at points spread over each posterior's mass (its 0.1 %, 50 % and 99.9 %
quantiles) and at a few fixed points. Output: test/fixtures/dashboard/beta-pdf.json.

Run with any Python that has scipy (e.g. the obp peer venv):
    python3 scripts/reference/dashboard_beta_pdf.py
"""

import json
import os

import scipy
from scipy import special, stats

SHAPES = [
    (1.0, 1.0),
    (0.5, 0.5),
    (2.0, 2.0),
    (3.7, 1.2),
    (12.0, 88.0),
    (51.0, 14950.0),
    (50.0, 100000.0),
    (1.5, 2000.0),
    (4321.0, 1234567.0),
    (2.0e6, 3.0e9),
    (999.0, 1.0),
]
GAMMA_POINTS = [0.1, 0.5, 1.0, 1.5, 2.0, 3.7, 10.0, 100.5, 12345.678, 1.0e6, 3.0e9]


def main() -> None:
    pdf = []
    for a, b in SHAPES:
        xs = sorted({float(stats.beta.ppf(q, a, b)) for q in (0.001, 0.5, 0.999)} | {0.25, 0.5})
        for x in xs:
            if 0.0 < x < 1.0:
                pdf.append({"alpha": a, "beta": b, "x": x, "logPdf": float(stats.beta.logpdf(x, a, b))})
    out = {
        "generator": f"scripts/reference/dashboard_beta_pdf.py with scipy {scipy.__version__}",
        "logGamma": [{"x": x, "value": float(special.gammaln(x))} for x in GAMMA_POINTS],
        "logPdf": pdf,
        "interval95": [
            {"alpha": a, "beta": b, "low": float(stats.beta.ppf(0.025, a, b)), "high": float(stats.beta.ppf(0.975, a, b))} for a, b in SHAPES
        ],
    }
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "test", "fixtures", "dashboard", "beta-pdf.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {len(pdf)} densities to {path}")


if __name__ == "__main__":
    main()
