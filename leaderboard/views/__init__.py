"""The leaderboard's pages: each module renders one page from a :class:`PageContext`.

A page is a :class:`Page` registered in :data:`PAGES` (sidebar order): its
``render(context) -> None`` and the roles that may open it. A page may raise a
``LeaderboardError``, which the app shows as a clear notice. Add a page by
writing a module here and registering it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from arena.models import Role
from leaderboard.access import COMPETITOR_ROLES, ORGANISER_ROLES, PRIVILEGED_ROLES, Viewer
from leaderboard.views import board, challenges, datasets, judges, my_submissions, notices, organiser, overview, plots, team
from leaderboard.views.context import PageContext

__all__ = ["PAGES", "Page", "PageContext", "notices"]


@dataclass(frozen=True)
class Page:
    """A page of the app: what renders it, its address and who may open it."""

    slug: str
    render: Callable[[PageContext], None]
    roles: frozenset[Role] | None = None  # None: everyone signed in

    def allows(self, viewer: Viewer) -> bool:
        """Whether ``viewer`` may open the page."""
        return self.roles is None or viewer.role in self.roles


PAGES: dict[str, Page] = {
    "Challenges": Page("challenges", challenges.render),
    "Overview": Page("overview", overview.render),
    "Data": Page("datasets", datasets.render),
    "Leaderboard": Page("leaderboard", board.render),
    "Plots": Page("plots", plots.render),
    "My submissions": Page("my-submissions", my_submissions.render, COMPETITOR_ROLES),
    "Team": Page("team", team.render, COMPETITOR_ROLES),
    "Judges' console": Page("judges", judges.render, PRIVILEGED_ROLES),
    "Organiser": Page("organiser", organiser.render, ORGANISER_ROLES),
}
