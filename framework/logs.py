"""One log format for training and serving: lines on stderr, never buffered, as text or as one JSON object each.

CloudWatch keeps what the container wrote before it died, so nothing may sit in a buffer. Every logger goes through
the root logger's one handler: the framework's, the algorithm's, gunicorn's (gunicorn_server.py sends them here) and
Dask's (distributed adds no handler of its own when the root logger has one).

    LOG_FORMAT=json                      one JSON object per line (CloudWatch Logs Insights finds its fields)
    SAGEMAKER_CONTAINER_LOG_LEVEL=20     the level: a name (DEBUG, INFO, ...) or the number SageMaker's SDK sets

While a request is served, its lines carry the id SageMaker sends with it (request_id, set by routes.py).
"""

import contextvars
import json
import logging
import os
import sys
from datetime import UTC, datetime

from framework.errors import ConfigError

FORMAT_SETTING = "LOG_FORMAT"  # ours: SageMaker has no such setting
LEVEL_SETTING = "SAGEMAKER_CONTAINER_LOG_LEVEL"  # SageMaker's inference toolkits' name; its SDK sets it to "20"
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"
LEVELS = {name: logging.getLevelName(name) for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")}

# The id of the request being served (SageMaker's X-Amzn-SageMaker-Inference-Id), None outside a request or when the
# caller sent none. A context variable, so one per greenlet: gevent serves many requests at once in one thread.
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: a traceback stays inside its line's "exception" instead of becoming many events."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if getattr(record, "request_id", None) is not None:
            entry["request_id"] = record.request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        rid = getattr(record, "request_id", None)
        return line if rid is None else f"{line} [request {rid}]"


def _stamp_request_id(record: logging.LogRecord) -> bool:
    record.request_id = request_id.get()
    return True


def level() -> int:
    """SAGEMAKER_CONTAINER_LOG_LEVEL as a logging level (INFO when unset)."""
    text = os.environ.get(LEVEL_SETTING, "").strip().upper()
    if not text:
        return logging.INFO
    if text in LEVELS:
        return LEVELS[text]
    if text.isdigit() and int(text) in LEVELS.values():
        return int(text)
    raise ConfigError(
        f"{LEVEL_SETTING}={text!r} is not one of {', '.join(LEVELS)} or {', '.join(map(str, LEVELS.values()))}"
    )


def formatter() -> logging.Formatter:
    """LOG_FORMAT's formatter: json or text (the default)."""
    text = os.environ.get(FORMAT_SETTING, "").strip().lower() or "text"
    if text == "json":
        return JsonFormatter()
    if text == "text":
        return TextFormatter(TEXT_FORMAT)
    raise ConfigError(f"{FORMAT_SETTING}={text!r} is not json or text")


def configure() -> None:
    """Sets up the root logger from the settings; a bad setting raises ConfigError once logging works with its
    defaults, so that the command reports it like its other settings."""
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_stamp_request_id)
    logging.basicConfig(handlers=[handler], force=True)
    logging.captureWarnings(True)  # the warnings module's lines in the same format, not raw text on stderr
    try:
        handler.setFormatter(formatter())
        logging.getLogger().setLevel(level())
    except ConfigError:
        handler.setFormatter(TextFormatter(TEXT_FORMAT))
        logging.getLogger().setLevel(logging.INFO)
        raise
