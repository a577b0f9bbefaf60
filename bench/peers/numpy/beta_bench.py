#!/usr/bin/env python3
"""numpy's side of the core benchmark (bench/core.bench.js): Beta samples per CPU-second with
numpy.random.Generator.beta (PCG64), bulk (size=N, one C loop) and one call per sample,
for the parameter pairs given as JSON on argv[1]. Prints JSON."""
import json
import sys
import time

import numpy as np


def best_of(reps, fn):
    """Best CPU time (time.process_time) of reps runs after one warm-up: on a shared machine
    wall time mostly measures waiting for a core."""
    fn()
    best = float("inf")
    for _ in range(reps):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def main():
    spec = json.loads(sys.argv[1])
    rng = np.random.default_rng(12345)
    out = {"numpy": np.__version__, "results": []}
    for a, b in spec["params"]:
        n = spec["n"]
        bulk = best_of(spec["reps"], lambda: rng.beta(a, b, size=n))
        m = spec["scalarN"]
        scalar = best_of(spec["reps"], lambda: [rng.beta(a, b) for _ in range(m)])
        out["results"].append({"alpha": a, "beta": b, "bulkPerSec": n / bulk, "scalarPerSec": m / scalar})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
