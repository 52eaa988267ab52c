"""The framework that runs algorithm.py the way SageMaker runs a container.

Read it in this order: main.py (the entry), training.py, hyperparameters.py, ranges.py, metrics.py, then serving:
gunicorn_server.py (the processes), routes.py (the HTTP routes), invocation.py (one request through predict),
batching.py (requests sharing predict calls, when algorithm.py opts in), content_types.py, decoders.py, encoders.py
and features.py.
An algorithm imports only what this file exports.
"""

from framework.errors import InputError, JobStopped
from framework.features import feature_matrix
from framework.invocation import Prediction
from framework.ranges import Range
from framework.training import TrainingJob

__all__ = ["InputError", "JobStopped", "Prediction", "Range", "TrainingJob", "feature_matrix"]
