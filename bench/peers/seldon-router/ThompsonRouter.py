"""A Thompson-sampling ROUTER built the way Seldon Core v1's own component is built: a
class with route() / send_feedback() run by `seldon-core-microservice` under gunicorn,
Beta posteriors as numpy arrays in process memory, one numpy Beta draw per branch per
request, and feedback read as the success fraction of the batch.

It is the benchmark's reference point for /route throughput (bench/seldon-router.bench.js).
Its state lives in each gunicorn worker's memory: not shared between workers or
replicas, lost on restart. Run it with the seldon peer venv (test/peers/seldon):

  PREDICTIVE_UNIT_PARAMETERS='[{"name":"n_branches","value":"3","type":"INT"}]' \
    seldon-core-microservice ThompsonRouter --service-type ROUTER \
      --http-port 9100 --grpc-port 5100 --metrics-port 6100
"""
import numpy as np


class ThompsonRouter:
    def __init__(self, n_branches=2, seed=None, verbose=False):
        self.n_branches = int(n_branches)
        if self.n_branches < 2:
            raise ValueError("n_branches must be at least 2")
        self.verbose = bool(verbose)
        self.rng = np.random.default_rng(None if seed is None else int(seed))
        # Beta(1, 1) priors: alpha counts successes + 1, beta failures + 1
        self.alpha = np.ones(self.n_branches)
        self.beta = np.ones(self.n_branches)

    def route(self, features, feature_names):
        draws = self.rng.beta(self.alpha, self.beta)
        return int(np.argmax(draws))

    def send_feedback(self, features, feature_names, reward, truth, routing=None):
        if routing is None or routing < 0 or routing >= self.n_branches:
            return []
        rows = int(np.asarray(features).shape[0]) if np.ndim(features) > 0 else 1
        successes = int(round(float(reward) * rows))
        self.alpha[routing] += successes
        self.beta[routing] += rows - successes
        return []
