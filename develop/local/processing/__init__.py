"""Processing-side development tools: a local processing job on several hosts (cluster.py)."""
