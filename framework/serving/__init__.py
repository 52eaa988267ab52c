"""`docker run IMAGE serve`: /ping and /invocations for real-time, asynchronous and batch transform jobs."""
