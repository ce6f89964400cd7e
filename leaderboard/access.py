"""Who may see which board: the viewer's platform role against the challenge's state.

The public board is for everyone signed in. The private board is for judges,
organisers and admins, and for everyone once the challenge is closed. Competitors
see scores rounded to ``settings.score_display_digits``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from arena.accounts import find_user
from arena.models import Role
from leaderboard.catalog import ChallengeInfo
from leaderboard.errors import BoardNotAllowed, PageNotAllowed

__all__ = [
    "BOARDS",
    "COMPETITOR_ROLES",
    "ORGANISER_ROLES",
    "PRIVILEGED_ROLES",
    "Viewer",
    "display_digits",
    "ensure_board_allowed",
    "ensure_role",
    "load_viewer",
    "visible_boards",
]

BOARDS = ("public", "private")
PRIVILEGED_ROLES = frozenset({Role.judge, Role.organiser, Role.admin})
ORGANISER_ROLES = frozenset({Role.organiser, Role.admin})
COMPETITOR_ROLES = frozenset({Role.competitor})
"""Who has a team, submissions and a final selection (judges and organisers get no team pages)."""


@dataclass(frozen=True)
class Viewer:
    """A signed-in hub user and the role the platform gives them."""

    name: str
    role: Role
    registered: bool = True

    @property
    def privileged(self) -> bool:
        """Whether the role sees private boards and full-precision scores."""
        return self.role in PRIVILEGED_ROLES


def load_viewer(session: Session, hub_user: str) -> Viewer:
    """The viewer called ``hub_user``, role read from the arena ``User`` row.

    A hub user without a platform account gets the least privileged role
    (competitor) and ``registered=False``; the hub's own admin flag is never trusted.
    """
    user = find_user(session, hub_user)
    if user is None:
        return Viewer(name=hub_user, role=Role.competitor, registered=False)
    return Viewer(name=user.name, role=Role(user.role))


def visible_boards(viewer: Viewer, challenge: ChallengeInfo) -> list[str]:
    """The boards of ``challenge`` that ``viewer`` may see, public first."""
    if viewer.privileged or challenge.closed:
        return list(BOARDS)
    return ["public"]


def ensure_board_allowed(viewer: Viewer, challenge: ChallengeInfo, board: str) -> None:
    """Check ``viewer`` may see ``board`` of ``challenge`` before anything is queried.

    Raises:
        BoardNotAllowed: the board is unknown, or private and not yet open to the viewer.
    """
    if board not in BOARDS:
        raise BoardNotAllowed(f"board {board!r} does not exist; choose one of {', '.join(BOARDS)}")
    if board not in visible_boards(viewer, challenge):
        raise BoardNotAllowed(
            f"the {board} board of challenge {challenge.slug!r} is shown to judges, organisers and admins "
            f"only until the challenge closes; {viewer.name!r} has role {viewer.role.value!r}"
        )


def display_digits(viewer: Viewer, digits: int) -> int | None:
    """Digits the viewer sees of a score: ``digits`` for competitors, None (all) for privileged roles."""
    return None if viewer.privileged else digits


def ensure_role(viewer: Viewer, roles: frozenset[Role], what: str) -> None:
    """Check ``viewer`` has one of ``roles`` before ``what`` is queried or drawn.

    Raises:
        PageNotAllowed: the viewer's role is not among ``roles``.
    """
    if viewer.role not in roles:
        allowed = ", ".join(sorted(role.value for role in roles))
        raise PageNotAllowed(f"{what} is shown to {allowed} only; {viewer.name!r} has role {viewer.role.value!r}")
