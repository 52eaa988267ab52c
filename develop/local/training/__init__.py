"""Training-side development tools: a local hyperparameter tuning job (tune.py)."""
