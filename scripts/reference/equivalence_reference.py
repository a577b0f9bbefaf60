#!/usr/bin/env python3
"""Reference values of P(|X - Y| <= delta) for independent Beta posteriors X, Y (the
region-of-practical-equivalence probability of the stopping rule), written to
test/fixtures/core/equivalence.json.

Run in the pinned peer venv:
    $(bash test/peers/venv.sh scipy)/bin/python scripts/reference/equivalence_reference.py

Method (independent of the TypeScript core, which integrates in the logit of the
narrower posterior with Gauss-Legendre panels): adaptive Gauss-Kronrod in x
(scipy.integrate.quad) of f_X(x) [F_Y(x + delta) - F_Y(x - delta)] over X's
[1e-15, 1 - 1e-15] quantile range, with X's quartiles and Y's quantiles shifted by
+-delta as breakpoints, densities and CDFs from Boost (scipy.stats.beta).
"""
import json
import os

import numpy as np
from scipy import integrate
from scipy.stats import beta as B

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "test", "fixtures", "core", "equivalence.json")

CASES = [
    # (a1, b1, a2, b2, delta)
    (1, 1, 1, 1, 0.1),
    (2, 3, 5, 4, 0.05),
    (51, 951, 56, 946, 0.001),
    (500, 9500, 505, 9495, 0.001),
    (2500, 47500, 2500, 47500, 0.001),
    (2500, 47500, 2750, 47250, 0.002),
    (30, 970, 3000, 97000, 0.0006),
    (1, 1000, 2, 999, 0.001),
    (1e4, 1e4, 1.001e4, 0.999e4, 0.01),
    (5e4, 9.95e6, 5.1e4, 9.949e6, 1e-4),
    (1.5, 30, 2, 40, 0.01),
]


def within(a1, b1, a2, b2, d):
    X, Y = B(a1, b1), B(a2, b2)
    lo, hi = X.ppf(1e-15), X.isf(1e-15)
    pts = sorted(set([X.ppf(q) for q in (0.001, 0.25, 0.5, 0.75, 0.999)] + [y + s for y in (Y.ppf(0.001), Y.median(), Y.isf(0.001)) for s in (-d, d)]))
    pts = [p for p in pts if lo < p < hi]
    f = lambda x: X.pdf(x) * (Y.cdf(min(1.0, x + d)) - Y.cdf(max(0.0, x - d)))
    v, err = integrate.quad(f, lo, hi, points=pts, epsabs=1e-14, epsrel=1e-12, limit=500)
    return v, err


rows = []
for a1, b1, a2, b2, d in CASES:
    v, err = within(a1, b1, a2, b2, d)
    rows.append({"x": {"alpha": a1, "beta": b1}, "y": {"alpha": a2, "beta": b2}, "delta": d, "p": v, "err": err})
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as fh:
    json.dump({"method": "scipy.integrate.quad over x with Boost pdf/cdf", "cases": rows}, fh, indent=1)
print(OUT, len(rows))
