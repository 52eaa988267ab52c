"""`docker run IMAGE train`: one training job, its hyperparameters, tuning ranges and metrics."""
