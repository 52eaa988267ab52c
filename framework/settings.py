"""Serving settings from SageMaker's environment variables, checked once at start with a clear error."""

import os
from collections.abc import Collection
from dataclasses import dataclass

from framework.cpus import cpus
from framework.errors import ConfigError
from framework.multi_model import memory
from framework.serving import media_types
from framework.serving.encoders import ENCODERS

# Asynchronous inference sends bodies up to 1 GB and waits up to an hour for the answer: both limits go that high.
MAX_PAYLOAD_MB = 1024
MAX_TIMEOUT_S = 3600
BATCH_MAX_RECORDS = 1000  # SERVE_BATCH_MAX_RECORDS's default: the most records one merged predict call gets


@dataclass(frozen=True)
class ServingSettings:
    host: str
    port: int
    workers: int
    timeout: int
    max_payload_mb: int
    default_accept: str
    # A transform job's settings, which /execution-parameters reports back (SageMaker sets these when the job does).
    batch_strategy: str
    max_concurrent_transforms: int
    # Adaptive batching (batching.py), when algorithm.py opts in. Ours, like SERVE_HOST: SageMaker has no such setting.
    batch_max_records: int
    batch_wait_ms: int
    multi_model: bool = False  # SAGEMAKER_MULTI_MODEL=true: SageMaker's /models API (multi_model/routes.py)
    model_memory_mb: int = 0  # multi-model: past this, loading a model answers 507 (memory.py measures it)

    @property
    def model_memory_bytes(self) -> int:
        return self.model_memory_mb * 1024 * 1024

    @classmethod
    def from_env(cls, answer_types: Collection[str] = tuple(ENCODERS)) -> "ServingSettings":
        """answer_types: the media types the algorithm can answer (content_types.codecs(algorithm).encoders)."""
        default_accept = os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", media_types.JSON)
        if default_accept not in answer_types:
            raise ConfigError(
                f"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT={default_accept!r} is not one of: " + ", ".join(answer_types)
            )
        workers = _integer("SAGEMAKER_MODEL_SERVER_WORKERS", cpus(), 1, 256)
        max_payload_mb = _integer("SAGEMAKER_MAX_PAYLOAD_IN_MB", 6, 1, MAX_PAYLOAD_MB)
        batch_strategy = os.environ.get("SAGEMAKER_BATCH_STRATEGY", "").strip().upper() or "MULTI_RECORD"
        if batch_strategy not in ("MULTI_RECORD", "SINGLE_RECORD"):
            raise ConfigError(f"SAGEMAKER_BATCH_STRATEGY={batch_strategy!r} is not MULTI_RECORD or SINGLE_RECORD")
        return cls(
            # SERVE_HOST is ours, not SageMaker's: local runs and tests bind to 127.0.0.1 only.
            host=os.environ.get("SERVE_HOST", "0.0.0.0"),
            port=_integer("SAGEMAKER_BIND_TO_PORT", 8080, 1, 65535),
            workers=workers,
            timeout=_integer("SAGEMAKER_MODEL_SERVER_TIMEOUT", 60, 1, MAX_TIMEOUT_S),
            # Up to 100 MB in a transform job, up to 1 GB on an asynchronous endpoint (real-time endpoints stop at 6 MB
            # before the container).
            max_payload_mb=max_payload_mb,
            default_accept=default_accept,
            batch_strategy=batch_strategy,
            # One request per worker, within SageMaker's rule MaxConcurrentTransforms x MaxPayloadInMB <= 100.
            max_concurrent_transforms=_integer(
                "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS", max(1, min(workers, 100 // max_payload_mb)), 1, 256
            ),
            batch_max_records=_integer("SERVE_BATCH_MAX_RECORDS", BATCH_MAX_RECORDS, 1, 1_000_000),
            batch_wait_ms=_integer("SERVE_BATCH_WAIT_MS", 0, 0, 1000),
            multi_model=_boolean("SAGEMAKER_MULTI_MODEL"),
            # Ours, not SageMaker's. Default: most of the container's memory (memory.py says how it is measured).
            model_memory_mb=_integer("MULTI_MODEL_MEMORY_MB", memory.default_budget_mb() or 1 << 20, 1, 1 << 30),
        )


def _integer(name: str, default: int, low: int, high: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a whole number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is outside {low}..{high}")
    return value


def _boolean(name: str) -> bool:
    text = os.environ.get(name, "").strip().lower()
    if text not in ("", "true", "false"):
        raise ConfigError(f"{name}={text!r} must be true or false")
    return text == "true"
