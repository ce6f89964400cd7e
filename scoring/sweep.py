"""Remove what a crash left in the submissions store.

A scoring service killed mid-upload leaves its staging file under ``<submissions_dir>/tmp``;
one killed between storing a file and inserting its row leaves a stored file that no
submission references. :func:`sweep_store` removes both, and nothing else:

- a staging file of this host whose writer process is gone (its name carries host and pid,
  see :func:`scoring.store.staging_prefix`), or any staging file older than
  ``settings.upload_stale_seconds`` (writers on other hosts, names of another form);
- a stored file no submission row names, older than ``settings.upload_stale_seconds`` (a
  younger one may belong to an upload whose row is being inserted right now).

The scoring service sweeps when it starts; ``arena sweep-store`` does it on demand.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from arena.db import Database
from arena.models import Submission
from arena.settings import Settings
from scoring.store import staging_dir

__all__ = ["SweepReport", "sweep_store"]

log = logging.getLogger(__name__)

_STARTED = time.time()
_STAGING_NAME = re.compile(r"^upload-(?P<host>.+)-(?P<pid>\d+)-[^-]+$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class SweepReport:
    """What a sweep removed."""

    staging: list[Path] = field(default_factory=list)
    unreferenced: list[Path] = field(default_factory=list)

    @property
    def removed(self) -> int:
        """How many files were removed."""
        return len(self.staging) + len(self.unreferenced)


def _process_gone(pid: int, written_at: float) -> bool:
    if pid == os.getpid():  # the same pid again (e.g. a restarted container): ours only if written since we started
        return written_at < _STARTED
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _abandoned_staging(path: Path, host: str, stale_before: float) -> bool:
    written_at = path.stat().st_mtime
    match = _STAGING_NAME.match(path.name)
    if match and match["host"] == host and _process_gone(int(match["pid"]), written_at):
        return True
    return written_at < stale_before


def _stored_files(settings: Settings) -> list[Path]:
    root = settings.submissions_dir
    if not root.is_dir():
        return []
    return [
        path
        for folder in root.iterdir()
        if folder.is_dir() and len(folder.name) == 2
        for path in folder.iterdir()
        if _DIGEST.match(path.name) and path.name.startswith(folder.name)
    ]


def sweep_store(db: Database, settings: Settings) -> SweepReport:
    """Remove abandoned staging files and old stored files no submission references.

    Args:
        db: The platform database (read: which digests submissions name).
        settings: Platform settings (``submissions_dir``, ``upload_stale_seconds``).

    Returns:
        The files removed.
    """
    report = SweepReport()
    stale_before = time.time() - settings.upload_stale_seconds
    staging = staging_dir(settings)
    host = socket.gethostname()
    for path in sorted(staging.iterdir()) if staging.is_dir() else []:
        if path.is_file() and _abandoned_staging(path, host, stale_before):
            path.unlink(missing_ok=True)
            report.staging.append(path)
    old = [path for path in _stored_files(settings) if path.stat().st_mtime < stale_before]
    if old:
        with db.session() as session:
            named = set(
                session.scalars(select(Submission.file_digest).where(Submission.file_digest.in_([p.name for p in old])))
            )
        for path in old:
            if path.name not in named:
                path.unlink(missing_ok=True)
                report.unreferenced.append(path)
    if report.removed:
        log.info(
            "store sweep: removed %d abandoned upload(s) and %d unreferenced file(s)",
            len(report.staging),
            len(report.unreferenced),
        )
    return report
