"""The stand-in for SageMaker's platform on this machine: what SageMaker does around the container, without AWS.

Reading order: entrypoint.py (train and serve as SageMaker runs them, the :dev image's entry point; stdlib only,
copied alone into the image), then one folder per local job: training/cluster.py (a job on several hosts, as
containers on a Docker network), training/tune.py (a hyperparameter tuning job), transform/runner.py (a batch
transform job, with records.py splitting and joining records and jsonpath.py its filters). Beside them, postman.py
writes the Postman collections' request bodies from opt/ml/input/payload* (bin/local.sh postman).
"""
