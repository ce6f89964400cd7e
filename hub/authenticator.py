"""``ArenaAuthenticator``: hub log-in against the arena's own accounts (scrypt passwords).

The user's arena role becomes a JupyterHub group (``competitors``, ``organisers``,
``judges``, ``admins``), and the ``admin`` role makes a hub admin. A disabled account (``arena
users disable``) with the right password is refused on the sign-in page with the reason, not
with "Invalid username or password".
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

from jupyterhub.auth import Authenticator
from jupyterhub.handlers.login import LoginHandler
from traitlets import default

from arena.accounts import disabled_message, find_user, verify_password
from arena.db import Database
from arena.errors import AccountDisabled
from arena.models import Role
from arena.settings import get_settings

__all__ = ["ArenaAuthenticator", "ArenaLoginHandler", "check_credentials", "group_of"]


def group_of(role: Role | str) -> str:
    """The JupyterHub group mirroring an arena role (``competitor`` → ``competitors``)."""
    return f"{Role(role).value}s"


@lru_cache(maxsize=4)
def _database(url: str) -> Database:
    return Database(url)


def check_credentials(db_url: str, username: str, password: str) -> dict[str, Any] | None:
    """The hub user model for valid credentials, else None (blocking: scrypt and a DB query).

    Raises:
        AccountDisabled: the credentials are right but the account is disabled (checked after the
            password, so that nobody learns an account's state without its password).
    """
    with _database(db_url).session() as session:
        user = find_user(session, username)
        if user is None or not verify_password(password, user.password_hash):
            return None
        if user.disabled_at is not None:
            raise AccountDisabled(disabled_message(user))
        role = Role(user.role)
    return {"name": username, "groups": [group_of(role)], "admin": role is Role.admin}


class ArenaLoginHandler(LoginHandler):
    """The hub's sign-in page, which says why a disabled account is refused (HTTP 403)."""

    async def post(self) -> None:
        """Sign in as JupyterHub does; a disabled account gets the form back with the reason."""
        try:
            await super().post()
        except AccountDisabled as refusal:
            self.set_status(403)
            self.finish(await self._render(login_error=str(refusal), username=self.get_argument("username", "")))


class ArenaAuthenticator(Authenticator):
    """Verify user name and password against the arena database; every arena account may log in."""

    @default("manage_groups")
    def _manage_groups_default(self) -> bool:
        return True

    @default("allow_all")
    def _allow_all_default(self) -> bool:
        return True

    def get_handlers(self, app: Any) -> list[tuple[str, type]]:
        """The sign-in page (:class:`ArenaLoginHandler`)."""
        return [("/login", ArenaLoginHandler)]

    async def authenticate(self, handler: Any, data: dict[str, str]) -> dict[str, Any] | None:
        """Check ``data["username"]``/``data["password"]`` in a worker thread (scrypt is slow).

        Raises:
            AccountDisabled: the account is disabled (the sign-in page shows the reason).
        """
        username = (data.get("username") or "").strip().lower()
        password = data.get("password") or ""
        if not username or not password:
            return None
        model = await asyncio.to_thread(check_credentials, get_settings().db_url, username, password)
        if model is None:
            self.log.warning("failed log-in for %r", username)
        return model
