"""The framework that runs algorithm.py the way SageMaker runs a container.

Read it in this order:
- training: main.py (the entry), training.py, hyperparameters.py, ranges.py, metrics.py;
- serving: settings.py (SageMaker's environment), gunicorn_server.py (the processes), routes.py (the HTTP routes),
  request_body.py (framing and limits), invocation.py (one request through predict), content_types.py, decoders.py,
  encoders.py, features.py, and balancing.py (spreading requests over the workers);
- when algorithm.py or the environment switches them on: batching.py (requests sharing predict calls),
  multi_model.py with model_registry.py and memory.py (many models in one container).
An algorithm imports only what this file exports.
"""

from framework.errors import InputError, JobStopped
from framework.features import feature_matrix
from framework.invocation import Prediction
from framework.ranges import Range
from framework.training import TrainingJob

__all__ = ["InputError", "JobStopped", "Prediction", "Range", "TrainingJob", "feature_matrix"]
