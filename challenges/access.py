"""Who may run organiser commands (publish, close, export): arena users with role organiser or admin."""

from __future__ import annotations

from sqlalchemy import select

from arena.db import Database
from arena.models import Role, User
from challenges.errors import AccessDeniedError

__all__ = ["ORGANISER_ROLES", "require_organiser"]

ORGANISER_ROLES = frozenset({Role.organiser, Role.admin})
"""Roles allowed to publish, close and export challenges (the JupyterHub group mirrored in ``User.role``)."""


def require_organiser(db: Database, actor: str, action: str) -> str:
    """Check that ``actor`` names an arena user whose role may run organiser commands.

    Args:
        db: The platform database (its ``users`` table).
        actor: The user name acting (recorded in the audit log by the action).
        action: What the actor wants to do, for the message (e.g. ``publish``).

    Returns:
        ``actor``, checked.

    Raises:
        AccessDeniedError: no arena user has this name, or the user's role is not organiser or admin.
    """
    allowed = " or ".join(sorted(role.value for role in ORGANISER_ROLES))
    if not actor:
        raise AccessDeniedError(f"{action}: name the acting user (role {allowed}) with --actor NAME")
    with db.session() as session:
        role = session.scalar(select(User.role).where(User.name == actor))
    if role is None:
        raise AccessDeniedError(
            f"{action}: {actor!r} is not an arena user; act as a user with role {allowed} (--actor NAME)"
        )
    if role not in ORGANISER_ROLES:
        raise AccessDeniedError(f"{action}: user {actor!r} has role {role.value!r}; role {allowed} is required")
    return actor
