#!/usr/bin/env python
"""obp's side of the OPE benchmark (bench/ope.bench.js).

Reads OBD-shaped logs (CSV: item_id, position 1..3, click, propensity_score), evaluates
the Bernoulli TS policy of a prior file (obp BernoulliTS.compute_batch_action_dist) with
RM, IPW, SNIPW, DM, DR, SNDR, Switch-DR and their bootstrap intervals
(estimate_interval, n_bootstrap_samples=B), the way obp's own examples do it, and prints
JSON with the wall time of the estimators + intervals (the part obp is used for) and of
the whole script. The reward model is the same per-(item, slot) click rate, cross-fitted
over 5 folds (row mod 5), computed with numpy (not timed).
"""
import argparse
import json
import logging
import resource
import sys
import time

import numpy as np
import pandas as pd
from obp.ope import (
    DirectMethod,
    DoublyRobust,
    InverseProbabilityWeighting,
    ReplayMethod,
    SelfNormalizedDoublyRobust,
    SelfNormalizedInverseProbabilityWeighting,
    SwitchDoublyRobust,
)
from obp.policy import BernoulliTS

logging.disable(logging.WARNING)


def main():
    t_start = time.perf_counter()
    ap = argparse.ArgumentParser()
    ap.add_argument("--logs", required=True)
    ap.add_argument("--prior", required=True)
    ap.add_argument("--campaign", default="all")
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--n-sim", type=int, default=100000)
    a = ap.parse_args()
    df = pd.read_csv(a.logs, usecols=["item_id", "position", "click", "propensity_score"])
    action = df["item_id"].to_numpy()
    position = df["position"].to_numpy() - 1
    reward = df["click"].to_numpy().astype(float)
    pscore = df["propensity_score"].to_numpy()
    n = len(df)
    prior = json.load(open(a.prior))[a.campaign]
    k = len(prior["alpha"])
    t0 = time.perf_counter()
    bts = BernoulliTS(n_actions=k, len_list=3, random_state=0, alpha=np.array(prior["alpha"], float), beta=np.array(prior["beta"], float))
    pi = bts.compute_batch_action_dist(n_rounds=1, n_sim=a.n_sim)[0]
    t_sim = time.perf_counter() - t0
    action_dist = np.broadcast_to(pi, (n, k, 3))
    # cross-fitted per-(item, slot) model, empirical-Bayes smoothing as in the TypeScript core
    folds = np.arange(n) % 5
    rows = np.zeros((5, k, 3))
    clicks = np.zeros((5, k, 3))
    np.add.at(rows, (folds, action, position), 1)
    np.add.at(clicks, (folds, action, position), reward)
    q = np.zeros((5, k, 3))
    for f in range(5):
        nn = rows.sum(0) - rows[f]
        cc = clicks.sum(0) - clicks[f]
        mu = cc.sum() / nn.sum()
        seen = nn > 0
        r = np.where(seen, cc / np.maximum(nn, 1), 0)
        tau2 = (nn * (r - mu) ** 2).sum() / nn.sum() - seen.sum() * mu * (1 - mu) / nn.sum()
        s = 1e6 if tau2 <= 0 else min(1e6, max(1.0, mu * (1 - mu) / tau2 - 1))
        q[f] = (cc + s * mu) / (nn + s)
    q_hat = q[folds]
    kw = dict(reward=reward, action=action, position=position, action_dist=action_dist)
    estimators = {
        "rm": (ReplayMethod(), kw),
        "ipw": (InverseProbabilityWeighting(), dict(kw, pscore=pscore)),
        "snipw": (SelfNormalizedInverseProbabilityWeighting(), dict(kw, pscore=pscore)),
        "dm": (DirectMethod(), dict(position=position, action_dist=action_dist, estimated_rewards_by_reg_model=q_hat)),
        "dr": (DoublyRobust(), dict(kw, pscore=pscore, estimated_rewards_by_reg_model=q_hat)),
        "sndr": (SelfNormalizedDoublyRobust(), dict(kw, pscore=pscore, estimated_rewards_by_reg_model=q_hat)),
        "switch-dr": (SwitchDoublyRobust(), dict(kw, pscore=pscore, estimated_rewards_by_reg_model=q_hat)),
    }
    out = {}
    t1 = time.perf_counter()
    for name, (est, args) in estimators.items():
        value = float(est.estimate_policy_value(**args))
        ci = est.estimate_interval(**args, alpha=0.05, n_bootstrap_samples=a.bootstrap, random_state=0)
        out[name] = {"value": value, "lower": float(ci["95.0% CI (lower)"]), "upper": float(ci["95.0% CI (upper)"])}
        print(f"{name} done after {time.perf_counter() - t1:.1f} s", file=sys.stderr, flush=True)
    t_est = time.perf_counter() - t1
    print(json.dumps({
        "rows": n, "items": k, "bootstrap": a.bootstrap, "n_sim": a.n_sim,
        "seconds_estimators": t_est, "seconds_simulation": t_sim, "seconds_total": time.perf_counter() - t_start,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "estimates": out,
    }))


if __name__ == "__main__":
    main()
