"""The framework that runs algorithm.py the way SageMaker runs a container.

Read it in this order: main.py (the entry), training.py, hyperparameters.py, serving.py, codecs.py, server.py.
An algorithm imports only what this file exports.
"""

from framework.errors import InputError, JobStopped
from framework.training import TrainingJob

__all__ = ["InputError", "JobStopped", "TrainingJob"]
