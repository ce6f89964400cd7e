"""``ArenaAuthenticator``: hub log-in against the arena's own accounts (scrypt passwords).

The user's arena role becomes a JupyterHub group (``competitors``, ``organisers``,
``judges``, ``admins``), and the ``admin`` role makes a hub admin.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

from jupyterhub.auth import Authenticator
from traitlets import default

from arena.accounts import find_user, verify_password
from arena.db import Database
from arena.models import Role
from arena.settings import get_settings

__all__ = ["ArenaAuthenticator", "check_credentials", "group_of"]


def group_of(role: Role | str) -> str:
    """The JupyterHub group mirroring an arena role (``competitor`` → ``competitors``)."""
    return f"{Role(role).value}s"


@lru_cache(maxsize=4)
def _database(url: str) -> Database:
    return Database(url)


def check_credentials(db_url: str, username: str, password: str) -> dict[str, Any] | None:
    """The hub user model for valid credentials, else None (blocking: scrypt and a DB query)."""
    with _database(db_url).session() as session:
        user = find_user(session, username)
        if user is None or not verify_password(password, user.password_hash):
            return None
        role = Role(user.role)
    return {"name": username, "groups": [group_of(role)], "admin": role is Role.admin}


class ArenaAuthenticator(Authenticator):
    """Verify user name and password against the arena database; every arena account may log in."""

    @default("manage_groups")
    def _manage_groups_default(self) -> bool:
        return True

    @default("allow_all")
    def _allow_all_default(self) -> bool:
        return True

    async def authenticate(self, handler: Any, data: dict[str, str]) -> dict[str, Any] | None:
        """Check ``data["username"]``/``data["password"]`` in a worker thread (scrypt is slow)."""
        username = (data.get("username") or "").strip().lower()
        password = data.get("password") or ""
        if not username or not password:
            return None
        model = await asyncio.to_thread(check_credentials, get_settings().db_url, username, password)
        if model is None:
            self.log.warning("failed log-in for %r", username)
        return model
