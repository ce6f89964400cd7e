"""``configure_logging``: one JSON object per line with time, level, logger, message and extra fields."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime

import pytest

from arena.logging import configure_logging
from arena.settings import Settings


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, its handlers and level put back after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_format_writes_one_object_per_line(root_logger: logging.Logger, tmp_path) -> None:
    stream = io.StringIO()
    configure_logging(Settings(data_dir=tmp_path, log_format="json", _env_file=None), stream)
    log = logging.getLogger("scoring.worker")

    log.info("scored submission %d", 7, extra={"submission_id": 7, "seconds": 1.5})
    try:
        raise ValueError("bad column 'label'\nsecond line")
    except ValueError:
        log.exception("scoring failed")
    log.debug("not shown at INFO")

    lines = stream.getvalue().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(lines) == 2
    assert records[0]["level"] == "INFO" and records[0]["logger"] == "scoring.worker"
    assert records[0]["message"] == "scored submission 7"
    assert records[0]["submission_id"] == 7 and records[0]["seconds"] == 1.5
    assert datetime.fromisoformat(records[0]["time"]).utcoffset().total_seconds() == 0
    assert records[1]["level"] == "ERROR" and "ValueError: bad column 'label'" in records[1]["exception"]
    assert {"args", "msg", "levelno", "pathname"}.isdisjoint(records[0])


def test_text_format_and_reconfiguring_replace_the_handler(root_logger: logging.Logger, tmp_path) -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging(Settings(data_dir=tmp_path, log_format="json", _env_file=None), first)
    configure_logging(Settings(data_dir=tmp_path, log_level="warning", _env_file=None), second)

    logging.getLogger("arena").warning("disk almost full")
    logging.getLogger("arena").info("hidden below WARNING")

    assert first.getvalue() == ""
    assert second.getvalue().rstrip().endswith("WARNING arena: disk almost full")
    assert len(second.getvalue().splitlines()) == 1
