"""The release pipeline: `python -P -m develop.release VERSION` (bin/release.sh), run by the :dev image's AWS venv.

Reading order: pipeline.py (the stages, their order, what each needs and leaves in release-state.json), then
registry.py (the Model Package Group: register, wait for approval), smoke.py (the smoke tests' file and how an answer
is compared with its expected one, also run before a release by bin/local.sh smoke and bin/smoke.sh). Each stage is
built on the commands of develop/sagemaker/ (train, deploy, predict), called as functions.
"""
