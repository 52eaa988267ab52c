"""`docker run IMAGE process [ARGS]`: one processing job (job.py), its inputs and outputs by name."""
