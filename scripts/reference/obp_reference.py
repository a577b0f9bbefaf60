#!/usr/bin/env python
"""Reference values of obp's off-policy estimators for the OPE core's tests.

Runs obp (Open Bandit Pipeline, ZOZO Research, Apache-2.0) on
  1. the first rows of the OBD random/men sample with obp's BernoulliTS (zozotown prior)
     action distribution and obp's cross-fitted logistic RegressionModel,
  2. synthetic logs with a different stochastic policy per row,
  3. synthetic logs with a deterministic policy per row (so the replay method matches),
and writes the inputs (.npy arrays, a logs CSV) and every estimator's point estimate
to test/fixtures/ope/. Also records obp's simulated BTS action distribution for the
campaigns (a statistical check of our simulation).

Usage: python scripts/reference/obp_reference.py [--obd PATH] [--out DIR]
(run with the obp peer: `$(bash test/peers/obp/install-obp.sh) scripts/reference/obp_reference.py`)
"""
import argparse
import json
import logging
import pathlib
import sys

import numpy as np
import pandas as pd
import obp
from obp.dataset import OpenBanditDataset
from obp.ope import (
    DirectMethod,
    DoublyRobust,
    InverseProbabilityWeighting,
    RegressionModel,
    ReplayMethod,
    SelfNormalizedDoublyRobust,
    SelfNormalizedInverseProbabilityWeighting,
    SwitchDoublyRobust,
)
from obp.policy import BernoulliTS
from sklearn.linear_model import LogisticRegression

logging.disable(logging.WARNING)
ROOT = pathlib.Path(__file__).resolve().parents[2]


def estimates(bf, action_dist, q_hat, lam):
    kw = dict(reward=bf["reward"], action=bf["action"], position=bf["position"], action_dist=action_dist)
    lam_ = np.inf if lam is None else lam
    out = {
        "rm": ReplayMethod().estimate_policy_value(**kw),
        "ipw": InverseProbabilityWeighting(lambda_=lam_).estimate_policy_value(pscore=bf["pscore"], **kw),
        "snipw": SelfNormalizedInverseProbabilityWeighting().estimate_policy_value(pscore=bf["pscore"], **kw),
        "dm": DirectMethod().estimate_policy_value(position=bf["position"], action_dist=action_dist, estimated_rewards_by_reg_model=q_hat),
        "dr": DoublyRobust(lambda_=lam_).estimate_policy_value(pscore=bf["pscore"], estimated_rewards_by_reg_model=q_hat, **kw),
        "sndr": SelfNormalizedDoublyRobust().estimate_policy_value(pscore=bf["pscore"], estimated_rewards_by_reg_model=q_hat, **kw),
        "switch-dr": SwitchDoublyRobust(lambda_=lam_).estimate_policy_value(pscore=bf["pscore"], estimated_rewards_by_reg_model=q_hat, **kw),
    }
    return {k: float(v) for k, v in out.items()}


def write_case(out, name, bf, action_dist, q_hat, lambdas):
    logs = pd.DataFrame(
        {
            "item_id": bf["action"].astype(int),
            "position": bf["position"].astype(int) + 1,
            "click": bf["reward"].astype(int),
            "propensity_score": bf["pscore"],
        }
    )
    logs.to_csv(out / f"{name}.logs.csv", index=False, float_format="%.17g")
    np.save(out / f"{name}.action_dist.npy", np.ascontiguousarray(action_dist, dtype=np.float64))
    np.save(out / f"{name}.estimated_rewards.npy", np.ascontiguousarray(q_hat, dtype=np.float64))
    return {
        "name": name,
        "rows": int(action_dist.shape[0]),
        "items": int(action_dist.shape[1]),
        "len_list": int(action_dist.shape[2]),
        "logs": f"{name}.logs.csv",
        "action_dist": f"{name}.action_dist.npy",
        "estimated_rewards": f"{name}.estimated_rewards.npy",
        "runs": [{"lambda": lam, "estimates": estimates(bf, action_dist, q_hat, lam)} for lam in lambdas],
    }


def obd_case(obd, out, rows):
    ds = OpenBanditDataset(behavior_policy="random", campaign="men", data_path=obd)
    full = ds.obtain_batch_bandit_feedback()
    bf = {k: full[k][:rows] for k in ("action", "position", "reward", "pscore")}
    bts = BernoulliTS(n_actions=ds.n_actions, len_list=ds.len_list, is_zozotown_prior=True, campaign="men", random_state=12345)
    action_dist = bts.compute_batch_action_dist(n_rounds=rows, n_sim=20000)
    reg = RegressionModel(n_actions=ds.n_actions, len_list=ds.len_list, action_context=full["action_context"], base_model=LogisticRegression(max_iter=1000, random_state=12345))
    # fit on the whole file (too few clicks in a subset), cross-fitted over 3 folds
    q_hat = reg.fit_predict(
        context=full["context"], action=full["action"], reward=full["reward"], position=full["position"], pscore=full["pscore"], n_folds=3, random_state=12345
    )[:rows]
    return write_case(out, "obd_men_bts", bf, action_dist, q_hat, [None, 5.0])


def synthetic_case(out, name, n, items, len_list, seed, deterministic):
    rng = np.random.default_rng(seed)
    logging_dist = rng.dirichlet(np.ones(items), size=(n, len_list))  # (n, len_list, items)
    position = rng.integers(0, len_list, size=n)
    action = np.array([rng.choice(items, p=logging_dist[i, position[i]]) for i in range(n)])
    pscore = logging_dist[np.arange(n), position, action]
    q = rng.uniform(0.02, 0.3, size=(n, items, len_list))
    reward = rng.binomial(1, q[np.arange(n), action, position]).astype(float)
    if deterministic:
        chosen = rng.integers(0, items, size=(n, len_list))
        action_dist = np.zeros((n, items, len_list))
        for k in range(len_list):
            action_dist[np.arange(n), chosen[:, k], k] = 1.0
        # make sure some rows match
        match = rng.random(n) < 0.4
        action_dist[match, :, :] = 0.0
        for k in range(len_list):
            action_dist[match, chosen[match, k], k] = 1.0
        action_dist[match, :, position[match]] = 0.0
        action_dist[match, action[match], position[match]] = 1.0
    else:
        action_dist = np.transpose(rng.dirichlet(np.full(items, 0.7), size=(n, len_list)), (0, 2, 1))
    q_hat = np.clip(q + rng.normal(0, 0.05, size=q.shape), 0.001, 0.999)
    bf = {"action": action, "position": position, "reward": reward, "pscore": pscore}
    return write_case(out, name, bf, action_dist, q_hat, [None, 3.0])


def bts_dists(n_sim):
    out = {}
    for campaign, n_actions in (("men", 34), ("women", 46), ("all", 80)):
        bts = BernoulliTS(n_actions=n_actions, len_list=3, is_zozotown_prior=True, campaign=campaign, random_state=7)
        out[campaign] = {"n_sim": n_sim, "action_dist": bts.compute_batch_action_dist(n_rounds=1, n_sim=n_sim)[0].tolist()}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--obd", default=str(ROOT.parent / "shared" / "datasets" / "obd"))
    ap.add_argument("--out", default=str(ROOT / "test" / "fixtures" / "ope"))
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--n-sim", type=int, default=100000)
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    cases = [
        obd_case(pathlib.Path(a.obd), out, a.rows),
        synthetic_case(out, "synthetic_stochastic", 400, 6, 3, 1, False),
        synthetic_case(out, "synthetic_deterministic", 400, 6, 3, 2, True),
    ]
    doc = {
        "generator": "scripts/reference/obp_reference.py",
        "obp": obp.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "cases": cases,
        "bts_action_dist": bts_dists(a.n_sim),
    }
    (out / "obp_reference.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
