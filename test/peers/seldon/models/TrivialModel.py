"""A trivial Seldon Core v1 MODEL for the executor tests: an ordinary component of Seldon's
Python wrapper (`seldon-core-microservice TrivialModel --service-type MODEL`), configured
through the graph node's parameters (PREDICTIVE_UNIT_PARAMETERS: child STRING, index INT).
It answers every prediction with its own index, one row per input row, and tags the reply
with its name, so a test can tell which child served. It accepts the feedback the executor
forwards to the chosen child and counts it (the count is in the reply tags).
"""
import numpy as np


class TrivialModel:
    def __init__(self, child="child", index=0):
        self.child = str(child)
        self.index = int(index)
        self.feedbacks = 0

    def predict(self, X, features_names=None):
        rows = int(np.asarray(X).shape[0]) if np.ndim(X) > 0 else 1
        return np.full((rows, 1), float(self.index))

    def send_feedback(self, features, feature_names, reward, truth, routing=None):
        self.feedbacks += 1
        return []

    def tags(self):
        return {"child": self.child, "child_index": self.index, "feedbacks": self.feedbacks}
