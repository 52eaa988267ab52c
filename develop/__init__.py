"""What development adds around the image SageMaker runs; none of it is in :dev-base.

- develop.py (with content-types.txt): the stand-in for SageMaker's platform, the :dev image's entry point;
- training/: tune.py, a local hyperparameter tuning job (bin/tune.sh), and cluster.py, a local job on several hosts
  (bin/train.sh --instances N);
- transform/: runner.py, a local batch transform job (bin/transform.sh), with records.py (splitting and joining
  records) and jsonpath.py (the job's InputFilter, OutputFilter and JoinSource);
- sagemaker/: algorithm_spec.py, the documents of SageMaker's API that describe the algorithm (bin/algorithm-spec.sh).
Each tool runs as a module from the project's folder: `python -P -m develop.training.tune` (in the :dev image, or
in .venv with PYTHONPATH set to the project, as bin/local.sh does).
"""
