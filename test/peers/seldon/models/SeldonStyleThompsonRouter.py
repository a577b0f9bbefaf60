"""Seldon Core v1's example Thompson-sampling ROUTER, as its source (components/routers/
thompson-sampling/ThompsonSampling.py, v1.17.1) behaves, rewritten for the side-by-side
test (that file ships only in Seldon's git repository, not in the seldon-core package):

- parameters n_branches (required), seed, verbose, history, branch_names (colon-separated);
- one Beta(1, 1) per branch in process memory;
- route: one Beta draw per branch, the index of the largest;
- send_feedback: a batch of n rows with reward r adds int(r * n) successes (truncated, not
  rounded) and n - int(r * n) failures to the routed branch.

Run by Seldon's own wrapper: `seldon-core-microservice SeldonStyleThompsonRouter --service-type ROUTER`.
"""
import numpy as np


class SeldonStyleThompsonRouter:
    def __init__(self, n_branches=None, verbose=False, seed=None, history=False, branch_names=None):
        self.n_branches = int(n_branches)
        if seed:
            np.random.seed(int(seed))
        self.params = [[1, 1] for _ in range(self.n_branches)]
        self.branch_names = branch_names.split(":") if branch_names is not None else None

    def route(self, features, feature_names):
        draws = [np.random.beta(a, b) for a, b in self.params]
        return int(np.argmax(draws))

    def send_feedback(self, features, feature_names, reward, truth, routing=None):
        n = int(np.asarray(features).shape[0])
        successes = int(reward * n)
        self.params[routing][0] += successes
        self.params[routing][1] += n - successes
        return []

    def tags(self):
        return {"alpha": [p[0] for p in self.params], "beta": [p[1] for p in self.params]}
