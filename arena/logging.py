"""Logging of the long-running processes (scoring service, workers): text, or one JSON object per line.

``configure_logging(settings)`` installs one handler on the root logger. With
``settings.log_format == "json"`` every record becomes one line ``{"time", "level", "logger",
"message", ...}`` plus the record's extra fields (``log.info("scored", extra={"submission_id": 7})``),
ready for a log shipper (Loki, Elasticsearch, CloudWatch) to index.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from arena.settings import Settings

__all__ = ["JsonFormatter", "configure_logging"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON: time (UTC, ISO 8601), level, logger, message, extra fields, exception."""
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


class _ArenaHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``configure_logging`` owns (so that calling it again replaces it)."""


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record to ``stream`` (default stderr) as text or JSON lines, per ``settings.log_format``.

    Args:
        settings: Platform settings (``log_format``, ``log_level``).
        stream: Where lines go (default: ``sys.stderr``).

    Returns:
        The installed handler (replacing one an earlier call installed).
    """
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if isinstance(handler, _ArenaHandler)]:
        root.removeHandler(handler)
    handler = _ArenaHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    return handler
