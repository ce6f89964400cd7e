"""What a code challenge accepts at upload: an archive (.zip/.tar.gz) that unpacks to a folder with ``main.py``.

A predictions file sent to a code challenge, or an archive sent to a predictions challenge, is
refused with a message saying which to send; an archive that does not unpack (a path leaving the
folder, a link, too big, no ``main.py``) is refused with the rule it broke.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from scoring.enclave import unpack_code
from scoring.errors import SubmissionError, SubmissionTooLargeError

__all__ = [
    "ARCHIVE_MAGIC",
    "check_code_archive",
    "check_upload_kind",
    "code_upload_limit",
    "is_code_challenge",
    "looks_like_archive",
]

ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b")
"""First bytes of a zip (with entries, or empty) and of a gzip (.tar.gz) file."""
_MB = 1024**2
_DEFAULT_MAX_UPLOAD_MB = 100


def is_code_challenge(spec: dict[str, Any]) -> bool:
    """Whether a stored challenge spec takes code submissions."""
    return spec.get("submission") == "code"


def code_upload_limit(spec: dict[str, Any]) -> tuple[int, str]:
    """Largest code archive of a challenge in bytes, and the rule's name (``code.max_upload_mb``)."""
    megabytes = (spec.get("code") or {}).get("max_upload_mb") or _DEFAULT_MAX_UPLOAD_MB
    return int(megabytes) * _MB, f"code.max_upload_mb = {megabytes}"


def looks_like_archive(path: Path) -> bool:
    """Whether a stored upload starts like a .zip or .tar.gz."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    return head.startswith(ARCHIVE_MAGIC)


def check_code_archive(spec: dict[str, Any], archive: Path) -> None:
    """Check at upload that a stored archive unpacks into a code folder (``main.py`` at its top).

    Raises:
        CodeArchiveError: the archive is refused; the message names the entry and the rule
            (it is the competitor's own archive, so the message is theirs to read).
    """
    with tempfile.TemporaryDirectory(prefix="arena-code-check-") as scratch:
        unpack_code(archive, Path(scratch) / "code", code_upload_limit(spec)[0])


def check_upload_kind(spec: dict[str, Any], stored: Path, size: int) -> bool:
    """Check that an upload suits its challenge's mode; returns whether it is a code submission.

    Raises:
        SubmissionError: a predictions file to a code challenge, an archive to a predictions
            challenge, or an archive that does not unpack (:class:`CodeArchiveError`).
        SubmissionTooLargeError: a code archive over ``code.max_upload_mb``.
    """
    slug, archive = spec.get("slug"), looks_like_archive(stored)
    if not is_code_challenge(spec):
        if archive:
            raise SubmissionError(
                f"challenge {slug!r} takes a predictions file (CSV or Parquet), not a code archive: "
                "submit your predictions with arena_client.submit(dataframe, challenge=...)"
            )
        return False
    if not archive:
        raise SubmissionError(
            f"challenge {slug!r} is a code challenge: upload a .zip or .tar.gz of the folder holding main.py "
            "(arena_client.submit_code(folder, challenge=...)), not a predictions file"
        )
    limit, rule = code_upload_limit(spec)
    if size > limit:
        raise SubmissionTooLargeError(f"code archive is larger than the limit of {limit} bytes ({rule})")
    check_code_archive(spec, stored)
    return True
