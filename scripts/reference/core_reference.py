#!/usr/bin/env python3
"""Reference values for the numeric core (src/core), computed independently with scipy
(Boost's incomplete beta and its inverse), scipy.integrate and mpmath, written as JSON
fixtures under test/fixtures/core/.

Run in the pinned peer venv:
    $(bash test/peers/venv.sh scipy)/bin/python scripts/reference/core_reference.py

Methods (none shares code or method with the TypeScript core, which integrates in the
logit coordinate with Gauss-Legendre panels and a spectral integration matrix):
- Beta pdf / cdf / sf: mpmath at 40 significant digits (betainc, regularized) for
  moderate parameters; scipy.stats.beta (Boost) where mpmath's hypergeometric series is
  impractical (a + b > 2e4), cross-checked against mpmath on a subset.
- Quantiles and credible intervals: scipy.special.betaincinv / betainccinv (Boost),
  polished by Newton steps on Boost's incomplete beta (betaincinv alone is off by up to
  1e-8 relative at b ~ 1e7).
- P(best) and E[max]: adaptive Gauss-Kronrod in x (scipy.integrate.quad_vec, all arms at
  once, epsabs 1e-13) over [min lower-quantile, max upper-quantile] with every arm's
  quantiles as breakpoints, CDFs from Boost; arm sets with alpha or beta < 1 (endpoint
  singularities) and moderate counts by mpmath tanh-sinh quadrature over the logit at
  30 digits instead (the two agree to 1e-10 on a regular set, checked below).
- Value remaining: Monte Carlo with numpy's Generator.beta (4e6 joint draws), standard
  error by batch means.
- Sampler goodness of fit: Gamma and Beta quantiles on a probability grid (Boost).
"""
import json
import math
import os
import sys

import mpmath as mp
import numpy as np
from scipy import integrate, special, stats

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "test", "fixtures", "core")
mp.mp.dps = 40


def write(name, payload):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path, "w") as fh:
        json.dump(payload, fh, indent=1)
        fh.write("\n")
    print(f"wrote {os.path.relpath(path, ROOT)}", file=sys.stderr)


def f(x):
    """Plain float, JSON friendly (finite)."""
    v = float(x)
    assert math.isfinite(v), v
    return v


# ---------------------------------------------------------------- Beta distribution
PARAMS = [0.01, 0.3, 1.0, 2.5, 30.0, 1000.0, 1e5, 1e7]
PROBS = [1e-10, 1e-4, 0.025, 0.3, 0.5, 0.8, 0.975, 1 - 1e-6]


def mp_cdf(x, a, b):
    return mp.betainc(a, b, 0, x, regularized=True)


def mp_logpdf(x, a, b):
    xm, a, b = mp.mpf(x), mp.mpf(a), mp.mpf(b)  # a + b in 40 digits, not in double
    return (a - 1) * mp.log(xm) + (b - 1) * mp.log1p(-xm) - (mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b))


def ref_quantile(a, b, p, upper=False):
    """Boost's betaincinv (or betainccinv for the upper tail), polished by Newton steps on
    Boost's incomplete beta: betaincinv alone is off by up to ~1e-8 relative at b ~ 1e7."""
    x = float(special.betainccinv(a, b, p) if upper else special.betaincinv(a, b, p))
    for _ in range(8):
        if not (0 < x < 1):
            break
        g = (special.betaincc(a, b, x) - p) if upper else (special.betainc(a, b, x) - p)
        d = float(mp.e ** mp_logpdf(x, a, b))
        if d == 0:
            break
        step = (-g if upper else g) / d
        nx = x - step
        if not (0 < nx < 1) or nx == x:
            break
        x = nx
    return x


def beta_values():
    rows = []
    for a in PARAMS:
        for b in PARAMS:
            for p in PROBS:
                x = float(special.betaincinv(a, b, p))
                if not (0 < x < 1):
                    continue  # quantile not representable away from 0 / 1 in a double
                use_mp = a + b <= 2e4
                logpdf = mp_logpdf(x, a, b)  # closed form at 40 digits
                if use_mp:
                    xm = mp.mpf(x)
                    cdf = mp_cdf(xm, a, b)
                    sf = mp.betainc(a, b, xm, 1, regularized=True)
                    source = "mpmath"
                else:
                    cdf = special.betainc(a, b, x)
                    sf = special.betaincc(a, b, x)
                    source = "scipy"
                if float(cdf) == 0.0 or float(sf) == 0.0:
                    continue
                rows.append({"a": a, "b": b, "x": x, "pdf": f(mp.e ** logpdf), "logpdf": f(logpdf), "cdf": f(cdf), "sf": f(sf), "source": source})
    quantiles = []
    for a in PARAMS:
        for b in PARAMS:
            for p in [1e-6, 0.025, 0.5, 0.975]:
                x = ref_quantile(a, b, p)
                if 1e-300 < x < 1 - 1e-15:
                    quantiles.append({"a": a, "b": b, "p": p, "x": f(x)})
    intervals = []
    for a, b in [(1, 1), (12, 988), (20, 980), (0.5, 0.5), (0.01, 2.0), (3000, 1e6), (1e7, 1e7), (1.5e5, 1e7), (2, 1e5)]:
        for level in [0.95, 0.8]:
            t = (1 - level) / 2
            intervals.append({"a": a, "b": b, "level": level, "lo": f(ref_quantile(a, b, t)), "hi": f(ref_quantile(a, b, t, upper=True))})
    write("beta-distribution.json", {
        "description": "Beta pdf/logpdf/cdf/sf at quantile points, quantiles and equal-tailed intervals (see scripts/reference/core_reference.py)",
        "values": rows, "quantiles": quantiles, "intervals": intervals})


# ---------------------------------------------------------------- P(best), E[max]
def pbest_scipy(arms):
    A = np.array([a for a, _ in arms], dtype=float)
    B = np.array([b for _, b in arms], dtype=float)
    eps = 1e-16
    lo = float(np.min(special.betaincinv(A, B, eps)))
    hi = float(np.max(special.betainccinv(A, B, eps)))
    pts = set()
    for a, b in arms:
        for q in [1e-12, 1e-9, 1e-6, 1e-4, 1e-2, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99]:
            pts.add(float(special.betaincinv(a, b, q)))
        for q in [1e-4, 1e-6, 1e-9, 1e-12]:
            pts.add(float(special.betainccinv(a, b, q)))
    pts = sorted(p for p in pts if lo < p < hi)
    K = len(arms)

    def integrand(x):
        F = special.betainc(A, B, x)
        pdf = stats.beta.pdf(x, A, B)
        pre = np.concatenate([[1.0], np.cumprod(F)[:-1]])
        suf = np.concatenate([np.cumprod(F[::-1])[::-1][1:], [1.0]])
        v = pdf * pre * suf
        return np.concatenate([v, v * x])

    edges = [lo] + pts + [hi]
    total = np.zeros(2 * K)
    for s, e in zip(edges[:-1], edges[1:]):
        val, err = integrate.quad_vec(integrand, s, e, epsabs=1e-14, epsrel=1e-12, limit=2000)
        total += val
    return total[:K], float(np.sum(total[K:]))


def pbest_mpmath(arms):
    """mpmath tanh-sinh over z = logit(x) (dx = x(1-x) dz): Beta(a<1) endpoint spikes become
    smooth exponential tails, which tanh-sinh on infinite intervals handles."""
    mp.mp.dps = 30
    K = len(arms)
    lbeta = [mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(mp.mpf(a) + mp.mpf(b)) for a, b in arms]
    breaks = logit_breaks(arms)

    def at(z):
        x = 1 / (1 + mp.exp(-z))
        return x, 1 - x if z < 0 else mp.exp(-z) / (1 + mp.exp(-z))

    def cdf(j, x, y):
        a, b = arms[j]
        if x <= 0.5:
            return mp.betainc(a, b, 0, x, regularized=True)
        return 1 - mp.betainc(b, a, 0, y, regularized=True)

    def dens(k, x, y):  # density of z: x^a y^b / B
        a, b = arms[k]
        return mp.exp(a * mp.log(x) + b * mp.log(y) - lbeta[k])

    probs, emax = [], mp.mpf(0)
    for k in range(K):
        def g(z, k=k):
            x, y = at(z)
            return dens(k, x, y) * mp.fprod(cdf(j, x, y) for j in range(K) if j != k)
        probs.append(mp.quad(g, breaks))
        emax += mp.quad(lambda z: at(z)[0] * g(z), breaks)
    mp.mp.dps = 40
    return [float(p) for p in probs], float(emax)


def logit_breaks(arms):
    """Breakpoints in z = logit(x) for tanh-sinh: each arm's mode ln(a/b), points a few
    standard deviations sqrt(1/a + 1/b) around it, and its exponential tails exp(a z)
    (left) and exp(-b z) (right) cut where they have decayed by e^-1 ... e^-60."""
    pts = set()
    for a, b in arms:
        m = math.log(a) - math.log(b)
        sd = math.sqrt(1 / a + 1 / b)
        pts.add(m)
        for k in [1, 3, 6, 10]:
            pts.update([m - k * sd, m + k * sd])
        for k in [1, 5, 20, 60]:
            pts.update([m - k / a, m + k / b])
    return [-mp.inf] + [mp.mpf(v) for v in sorted(pts)] + [mp.inf]


def x_y(z):
    """x = 1/(1 + e^-z) and y = 1 - x, both to full relative precision."""
    if z < 0:
        e = mp.exp(z)
        return e / (1 + e), 1 / (1 + e)
    e = mp.exp(-z)
    return 1 / (1 + e), e / (1 + e)


def pbest_scipy_logit(arms):
    """Adaptive Gauss-Kronrod (quad_vec, all arms at once) over z = logit(x) between the
    logit_breaks of every arm, Boost CDFs (1 - I_y(b, a) above x = 1/2, y = 1 - x exact)
    and densities x^a y^b / B(a, b) from log-gamma. For arm sets with U-shaped arms and
    K > 2, where mpmath over K incomplete betas per node is too slow."""
    A = np.array([a for a, _ in arms], dtype=float)
    B = np.array([b for _, b in arms], dtype=float)
    lbeta = special.gammaln(A) + special.gammaln(B) - special.gammaln(A + B)
    K = len(arms)

    def integrand(z):
        if z < 0:
            lx, ly = z - math.log1p(math.exp(z)), -math.log1p(math.exp(z))
        else:
            lx, ly = -math.log1p(math.exp(-z)), -z - math.log1p(math.exp(-z))
        x, y = math.exp(lx), math.exp(ly)
        if x < 1e-250:  # x^a underflows no sooner than x for a < 1: I_x(a, b) = x^a / (a B(a, b)) (1 + O(x))
            F = np.exp(A * lx - np.log(A) - lbeta)
        elif y < 1e-250:
            F = 1 - np.exp(B * ly - np.log(B) - lbeta)
        else:
            F = special.betainc(A, B, x) if x <= 0.5 else 1 - special.betainc(B, A, y)
        g = np.exp(A * lx + B * ly - lbeta)
        pre = np.concatenate([[1.0], np.cumprod(F)[:-1]])
        suf = np.concatenate([np.cumprod(F[::-1])[::-1][1:], [1.0]])
        v = g * pre * suf
        return np.concatenate([v, v * x])

    edges = [float(v) for v in logit_breaks(arms)[1:-1]]
    edges = [edges[0] - 50 / float(np.min(A))] + edges + [edges[-1] + 50 / float(np.min(B))]
    total = np.zeros(2 * K)
    for s, e in zip(edges[:-1], edges[1:]):
        val, err = integrate.quad_vec(integrand, s, e, epsabs=1e-15, epsrel=1e-13, limit=2000)
        total += val
    return [float(v) for v in total[:K]], float(np.sum(total[K:]))


def pbest_mpmath_pair(arms):
    """K = 2 at 40 digits, integrating over the arm c with the larger a + b (the
    concentrated one) against the other arm o's regularized incomplete beta in closed form:
        P(c best) = int f_c(x) I_x(a_o, b_o) dx,
        E[max]    = m_o + int f_c(x) [x I_x(a_o, b_o) - m_o I_x(a_o + 1, b_o)] dx
    (E[(theta_c - theta_o)^+] with int_0^x t f_o(t) dt = m_o I_x(a_o + 1, b_o)). In
    z = logit(x), f_c(x) dx = x^a y^b / B dz, so the x^(a-1), (1-x)^(b-1) endpoint
    singularities become exponential tails (tanh-sinh, split at logit_breaks); near x = 1
    the incomplete beta is taken as 1 - I_y(b_o, a_o) with y = 1 - x exact. Independent of
    the TypeScript core (which never calls the incomplete beta for P(best))."""
    mp.mp.dps = 40
    (i_c, i_o) = (0, 1) if arms[0][0] + arms[0][1] >= arms[1][0] + arms[1][1] else (1, 0)
    ac, bc = (mp.mpf(v) for v in arms[i_c])
    ao, bo = (mp.mpf(v) for v in arms[i_o])
    mo = ao / (ao + bo)
    lbc = mp.loggamma(ac) + mp.loggamma(bc) - mp.loggamma(ac + bc)

    def inc(a, b, x, y):
        return mp.betainc(a, b, 0, x, regularized=True) if x <= 0.5 else 1 - mp.betainc(b, a, 0, y, regularized=True)

    def gc(x, y):
        return mp.exp(ac * mp.log(x) + bc * mp.log(y) - lbc)

    def p_integrand(z):
        x, y = x_y(z)
        return gc(x, y) * inc(ao, bo, x, y)

    def gain_integrand(z):
        x, y = x_y(z)
        return gc(x, y) * (x * inc(ao, bo, x, y) - mo * inc(ao + 1, bo, x, y))

    edges = logit_breaks([arms[i_c]])
    p_c = mp.quad(p_integrand, edges)
    gain = mp.quad(gain_integrand, edges)
    probs = [None, None]
    probs[i_c] = float(p_c)
    probs[i_o] = float(1 - p_c)
    return probs, float(mo + gain)


def arm_sets():
    rng = np.random.default_rng(20150101)
    sets = [
        ("K2 small counts", [(12, 988), (20, 980)]),
        ("K2 uniform priors", [(1, 1), (1, 1)]),
        ("K2 tiny alpha", [(0.01, 1.0), (1.0, 0.01)]),
        ("K2 jeffreys vs small", [(0.5, 0.5), (2, 3)]),
        ("K2 OBD scale", [(3000, 1e6), (3100, 1e6)]),
        ("K2 OBD near tie", [(1e5, 1e7), (1.0001e5, 1e7)]),
        ("K2 huge symmetric", [(1e7, 1e7), (1e7 + 3000, 1e7 - 3000)]),
        ("K2 mixed scales", [(2, 50), (3000, 1e5)]),
        ("K3 small alpha and beta", [(0.01, 1.0), (1.0, 1.0), (0.5, 0.02)]),
        ("K3 OBD scale", [(3000, 1e6), (3100, 1e6), (2950, 1e6)]),
        ("K3 clear winner", [(100, 2000), (160, 2000), (90, 2000)]),
    ]
    sets.append(("K10 moderate", [(float(a), 1e4) for a in 100 + 5 * np.arange(10)]))
    sets.append(("K10 random counts", [(1 + float(s), 1 + float(n - s)) for n, s in ((n, rng.binomial(n, p)) for n, p in zip(rng.integers(200, 5000, 10), rng.uniform(0.02, 0.08, 10)))]))
    sets.append(("K10 OBD scale", [(float(a), float(b)) for a, b in zip(rng.integers(2000, 6000, 10), rng.integers(5e5, 2e6, 10))]))
    sets.append(("K10 near tie", [(5000 + float(d), 1e6) for d in rng.integers(-20, 20, 10)]))
    sets.append(("K10 mixed", [(1, 1), (2, 30), (30, 970), (0.5, 5), (300, 9700), (3000, 97000), (1e5, 1e7), (40, 960), (5, 95), (1e4, 4e5)]))
    sets.append(("K100 OBD scale", [(float(a), float(b)) for a, b in zip(rng.integers(200, 800, 100), rng.integers(8e4, 1.2e5, 100))]))
    sets.append(("K100 near tie", [(1000 + float(d), 1e5) for d in rng.integers(-30, 30, 100)]))
    # U-shaped arms (alpha, beta < 1: singular at both ends) and mixed sets
    sets.append(("K2 U-shaped vs OBD scale", [(0.05, 0.05), (50000, 9950000)]))
    sets.append(("K2 U-shaped tiny", [(0.01, 0.01), (0.01, 1.0)]))
    sets.append(("K2 U-shaped prior twins", [(0.1, 0.1), (0.1, 0.1)]))
    sets.append(("K2 U-shaped prior vs data", [(0.1, 0.1), (5.1, 95.1)]))
    sets.append(("K2 U-shaped prior vs uniform", [(0.1, 0.1), (1, 1)]))
    sets.append(("K2 U-shaped 1e-3", [(1e-3, 1e-3), (2, 3)]))
    sets.append(("K2 U-shaped skewed pair", [(0.3, 0.02), (0.02, 0.3)]))
    sets.append(("K2 U-shaped vs huge", [(0.5, 0.2), (3e6, 7e6)]))
    sets.append(("K2 at 1e9", [(5e8, 5e8), (5e8 + 2e4, 5e8 - 2e4)]))
    sets.append(("K3 at 1e9", [(1e7, 1e9), (1.0003e7, 1e9), (0.9998e7, 1e9)]))
    sets.append(("K2 U-shaped vs 1e9", [(0.2, 0.7), (2e8, 8e8)]))
    sets.append(("K3 U-shaped mixed", [(0.05, 0.05), (0.5, 0.5), (20, 980)]))
    sets.append(("K3 U-shaped priors with data", [(0.1, 0.1), (0.1 + 30, 0.1 + 970), (0.1 + 45, 0.1 + 955)]))
    sets.append(("K10 U-shaped mixed", [(0.1, 0.1), (0.02, 0.9), (0.9, 0.02), (0.5, 0.5), (1, 1), (2, 30), (0.3, 0.3), (30, 970), (0.05, 0.2), (5, 95)]))
    return sets


def pbest_values():
    out = []
    for name, arms in arm_sets():
        singular = any(a < 1 or b < 1 for a, b in arms)
        if singular and len(arms) == 2:
            probs, emax = pbest_mpmath_pair(arms)
            method = "mpmath tanh-sinh over logit(x) against the closed-form incomplete beta, 40 digits"
            if max(a + b for a, b in arms) <= 2e4:  # cross-check with the logit method
                p2, e2 = pbest_mpmath(arms)
                assert max(abs(u - v) for u, v in zip(probs, p2)) < 1e-12 and abs(emax - e2) < 1e-12, (name, probs, p2, emax, e2)
        elif singular and len(arms) > 3:
            probs, emax = pbest_scipy_logit(arms)
            method = "scipy quad_vec over logit(x), Boost CDFs"
        elif singular and max(a + b for a, b in arms) <= 2e4:
            probs, emax = pbest_mpmath(arms)
            method = "mpmath tanh-sinh, 30 digits"
        else:
            p, emax = pbest_scipy(arms)
            probs = [float(v) for v in p]
            method = "scipy quad_vec over x, Boost CDFs"
        s = sum(probs)
        assert abs(s - 1) < 1e-9, (name, s)
        means = [a / (a + b) for a, b in arms]
        loss = [max(0.0, emax - m) for m in means]
        out.append({"name": name, "method": method, "arms": [{"alpha": a, "beta": b} for a, b in arms], "probBest": probs, "expectedMax": emax, "expectedLoss": loss})
        print(f"  {name}: sum - 1 = {s - 1:.2e}", file=sys.stderr)
    # cross-check the two methods on a regular set
    p1, e1 = pbest_scipy([(12, 988), (20, 980), (15, 985)])
    p2, e2 = pbest_mpmath([(12, 988), (20, 980), (15, 985)])
    assert max(abs(a - b) for a, b in zip(p1, p2)) < 1e-10 and abs(e1 - e2) < 1e-10, (p1, p2, e1, e2)
    # and the logit quad_vec (used for K > 3 with U-shaped arms) against the mpmath methods
    for arms in ([(0.05, 0.05), (0.5, 0.5), (20, 980)], [(0.01, 0.01), (0.01, 1.0)]):
        p1, e1 = pbest_scipy_logit(arms)
        p2, e2 = pbest_mpmath(arms) if len(arms) > 2 else pbest_mpmath_pair(arms)
        assert max(abs(a - b) for a, b in zip(p1, p2)) < 1e-11 and abs(e1 - e2) < 1e-11, (arms, p1, p2, e1, e2)
    write("probability-of-best.json", {"description": "P(best), E[max] and expected loss per arm set (see scripts/reference/core_reference.py)", "tolerance": 1e-10, "cases": out})


# ---------------------------------------------------------------- value remaining
def value_remaining_values():
    rng = np.random.default_rng(7)
    cases = []
    for name, arms in [("K3 small counts", [(12, 988), (20, 980), (15, 985)]), ("K4 demo-like", [(41, 959), (52, 948), (63, 937), (45, 955)]), ("K3 OBD scale", [(3000, 1e6), (3100, 1e6), (2950, 1e6)])]:
        n, batches = 4_000_000, 40
        theta = np.stack([rng.beta(a, b, n) for a, b in arms], axis=1)
        champion = int(np.argmax(np.bincount(np.argmax(theta, axis=1), minlength=len(arms))))
        v = (theta.max(axis=1) - theta[:, champion]) / theta[:, champion]
        q = float(np.quantile(v, 0.95))
        per = [float(np.quantile(chunk, 0.95)) for chunk in np.array_split(v, batches)]
        se = float(np.std(per, ddof=1) / math.sqrt(batches))
        cases.append({"name": name, "arms": [{"alpha": a, "beta": b} for a, b in arms], "quantile": 0.95, "champion": champion, "value": q, "standardError": se, "draws": n})
    write("value-remaining.json", {"description": "Scott (2015) value remaining: 95th percentile of (max - champion)/champion, numpy Monte Carlo", "cases": cases})


# ---------------------------------------------------------------- sampler goodness of fit
def sampler_quantiles():
    grid = [0.001, 0.01] + [round(0.05 * i, 2) for i in range(1, 20)] + [0.99, 0.999]
    gamma = [{"shape": s, "probs": grid, "quantiles": [f(stats.gamma.ppf(p, s)) for p in grid]} for s in [0.05, 0.3, 0.9, 1.0, 2.5, 40.0, 1e4]]
    beta = [{"alpha": a, "beta": b, "probs": grid, "quantiles": [f(special.betaincinv(a, b, p)) for p in grid]} for a, b in [(0.1, 0.1), (0.5, 2.0), (2.0, 3.0), (30.0, 970.0), (1e4, 1e6), (0.05, 5.0), (1e7, 1e7)]]
    write("sampler-quantiles.json", {"description": "Gamma(shape, 1) and Beta quantiles on a probability grid for goodness-of-fit tests of the samplers", "gamma": gamma, "beta": beta})


if __name__ == "__main__":
    print(f"numpy {np.__version__}, mpmath {mp.__version__}, scipy {__import__('scipy').__version__}", file=sys.stderr)
    which = sys.argv[1:] or ["beta", "pbest", "value", "samplers"]
    if "beta" in which:
        beta_values()
    if "pbest" in which:
        pbest_values()
    if "value" in which:
        value_remaining_values()
    if "samplers" in which:
        sampler_quantiles()
