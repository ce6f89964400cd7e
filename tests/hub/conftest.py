"""Fixtures shared by the hub's end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def e2e_root() -> Path:
    """Where end-to-end data dirs are made: outside /tmp (bwrap's --tmpfs /tmp would hide them)."""
    return Path("/srv")
