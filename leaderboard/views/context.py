"""What every page is given: settings, the read-only database and the viewer."""

from __future__ import annotations

from dataclasses import dataclass

from arena.db import Database
from arena.settings import Settings
from leaderboard.access import Viewer

__all__ = ["PageContext"]


@dataclass(frozen=True)
class PageContext:
    """The inputs of one page render."""

    settings: Settings
    database: Database
    viewer: Viewer
