"""A local batch transform job: runner.py drives `serve` as SageMaker does; records.py and jsonpath.py help it."""
