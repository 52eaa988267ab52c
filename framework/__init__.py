"""The framework that runs algorithm.py the way SageMaker runs a container.

One folder for each kind of job SageMaker runs the image for, and what they all share beside them. Read it in order:
- training/ (`docker run IMAGE train`): main.py (the entry), job.py (one training job, start to exit code),
  hyperparameters.py, ranges.py (tuning ranges), metrics.py (the log lines MetricDefinitions read); on several
  hosts, cluster.py (which hosts, the leader, their addresses) and dask_cluster.py (job.dask(): a Dask cluster);
- serving/ (`docker run IMAGE serve`: real-time, asynchronous and batch transform): gunicorn_server.py (the
  processes), shared_model.py (the model, loaded once before the workers fork), routes.py (the HTTP routes),
  request_body.py (framing and limits), invocation.py (one request through predict), media_types.py,
  content_types.py (picking the codecs), decoders.py, encoders.py, features.py, balancing.py (spreading requests
  over the workers) and, when algorithm.py asks for it, batching.py (requests sharing predict calls);
- processing/ (`docker run IMAGE process [ARGS]`: a processing job): job.py (its inputs and outputs by name, its
  arguments, start to exit code);
- multi_model/ (a multi-model endpoint, SAGEMAKER_MULTI_MODEL=true): routes.py (SageMaker's /models API),
  registry.py (which models are loaded, shared by the workers) and memory.py (the memory budget);
- shared: jobs.py (what a training and a processing job share: hosts, job.dask(), stop, failure), settings.py
  (SageMaker's serving environment), cpus.py (the CPUs a process may use; the thread pools sized
  to them), paths.py (the /opt/ml tree), errors.py, logs.py.
An algorithm imports only what this file exports.
"""

import importlib

# Each name, from its module when first asked for (PEP 562): importing framework.cpus, which main.py does before
# NumPy may load, must not load NumPy.
_EXPORTS = {
    "InputError": "framework.errors",
    "JobStopped": "framework.errors",
    "Prediction": "framework.serving.invocation",
    "ProcessingJob": "framework.processing.job",
    "Range": "framework.training.ranges",
    "TrainingJob": "framework.training.job",
    "feature_matrix": "framework.serving.features",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'framework' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
