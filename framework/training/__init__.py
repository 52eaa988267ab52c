"""`docker run IMAGE train`: one training job (job.py), its hyperparameters, tuning ranges and metrics; on several
hosts, which hosts (cluster.py) and a Dask cluster across them (dask_cluster.py)."""
