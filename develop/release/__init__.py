"""The release pipeline (bin/release.sh) and the push (bin/docker-push.sh).

Reading order: stages.py (the stages, in order, and the command line; run by bin/release.sh with the user's own
Python: the test and build stages there), pipeline.py (the stages after those, in the :dev image's AWS venv: what
each needs and leaves in release-state.json), push.py (the push stage, and bin/docker-push.sh), registry.py (the
Model Package Group: register, wait for approval), then smoke.py (the smoke tests' file and how an answer is compared
with its expected one, also run before a release by bin/local.sh smoke and bin/smoke.sh). The SageMaker stages are
built on the commands of develop/sagemaker/ (train, deploy, predict), called as functions.
"""
