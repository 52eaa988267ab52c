"""SageMaker's own API, from the project.

- algorithm_spec.py: the documents of SageMaker's API that describe the algorithm (bin/algorithm-spec.sh); run by the
  runtime's Python, as it imports algorithm.py.
- the commands of bin/sagemaker.sh (docs/how-to/sagemaker.md): `python -P -m develop.sagemaker train | deploy | predict
  | transform | status | destroy`, run by the :dev image's AWS venv (boto3 is there and nowhere in the image SageMaker
  runs) from the project's folder. Each command is a function of plain arguments that a release pipeline can call from
  Python; they share an `Aws` (the clients) and a `State` (what they created, in sagemaker-state.json).
  Reading order: config.py (settings and the checks made before any call), aws.py (the clients), state.py,
  waiting.py (every wait is bounded), s3sync.py, algorithm.py (what algorithm.py declares, through algorithm_spec.py),
  then one file per command: train.py (with cloudwatch.py), deploy.py, predict.py, transform.py, status.py (with
  prices.py), destroy.py; cli.py maps the command line onto them. The release pipeline (develop/release/) calls
  the same functions.

Nothing is imported here: algorithm_spec.py runs where boto3 is not.
"""
