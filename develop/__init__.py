"""What development adds around the image SageMaker runs; none of it is in :dev-base. Three parts, one folder each:

- local/: the stand-in for SageMaker's platform on this machine (no AWS): entrypoint.py, the :dev image's entry point
  (bin/train.sh, bin/serve.sh, bin/process.sh), and the local jobs: training/cluster.py (bin/train.sh --instances N),
  training/tune.py (bin/tune.sh), transform/runner.py (bin/transform.sh), processing/cluster.py (bin/process.sh
  --instances N, on training/cluster.py's hosts); postman.py writes the Postman collections' bodies from the sample
  payloads (bin/local.sh postman).
- sagemaker/: the commands that drive SageMaker itself through boto3 (bin/sagemaker.sh train | deploy | predict |
  transform | status | destroy), and algorithm_spec.py, the documents of SageMaker's API that describe the algorithm
  (bin/algorithm-spec.sh).
- release/: the release pipeline (bin/release.sh) and the push (bin/docker-push.sh): its stages from a version to
  production, built on sagemaker/'s commands, and the Model Registry; smoke.py, the smoke tests
  (opt/ml/input/smoke-tests.json) that the smoke stage, bin/local.sh smoke, bin/smoke.sh and the contract suite
  (tests/contract/) all run.

Each tool runs as a module from the project's folder (`python -P -m develop.local.training.tune`, `python -P -m
develop.sagemaker`, `python -P -m develop.release`): in the :dev image, or in .venv with PYTHONPATH set to the
project, as bin/local.sh does.
"""
