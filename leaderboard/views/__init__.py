"""The leaderboard's pages: each module renders one page from a :class:`PageContext`.

A page is a function ``render(context) -> None`` registered in :data:`PAGES`
(sidebar order); it may raise a ``LeaderboardError``, which the app shows as a
clear notice. Add a page by writing a module here and registering it.
"""

from __future__ import annotations

from collections.abc import Callable

from leaderboard.views import board, challenges, notices
from leaderboard.views.context import PageContext

__all__ = ["PAGES", "PageContext", "notices"]

PAGES: dict[str, Callable[[PageContext], None]] = {
    "Challenges": challenges.render,
    "Leaderboard": board.render,
}
