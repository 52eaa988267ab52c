"""Documents and commands for SageMaker's own API: algorithm_spec.py (bin/algorithm-spec.sh)."""
