"""``ArenaAuthenticator``: hub log-in against the arena's own accounts (scrypt passwords).

The user's arena role becomes a JupyterHub group (``competitors``, ``organisers``,
``judges``, ``admins``), and the ``admin`` role makes a hub admin. A disabled account (``arena
users disable``) with the right password is refused on the sign-in page with the reason, not
with "Invalid username or password". A session already open is re-checked every
``ARENA_HUB_AUTH_REFRESH_SECONDS``: a disabled or deleted account is signed out (its browser goes
back to the sign-in page, its tokens stop working at the hub) and a changed role moves the user to
the new group.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

from jupyterhub.auth import Authenticator
from jupyterhub.handlers.login import LoginHandler
from sqlalchemy.exc import SQLAlchemyError
from traitlets import default

from arena.accounts import disabled_message, find_user, verify_password
from arena.db import Database
from arena.errors import AccountDisabled
from arena.models import Role
from arena.settings import get_settings

__all__ = ["ArenaAuthenticator", "ArenaLoginHandler", "check_credentials", "current_model", "group_of"]


def group_of(role: Role | str) -> str:
    """The JupyterHub group mirroring an arena role (``competitor`` → ``competitors``)."""
    return f"{Role(role).value}s"


@lru_cache(maxsize=4)
def _database(url: str) -> Database:
    return Database(url)


def _model(username: str, role: Role | str) -> dict[str, Any]:
    role = Role(role)
    return {"name": username, "groups": [group_of(role)], "admin": role is Role.admin}


def current_model(db_url: str, username: str) -> dict[str, Any] | None:
    """The hub user model of an account that may still use the hub, else None (disabled or deleted)."""
    with _database(db_url).session() as session:
        user = find_user(session, username)
        if user is None or user.disabled_at is not None:
            return None
        return _model(username, user.role)


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
        return _model(username, user.role)


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

    @default("auth_refresh_age")
    def _auth_refresh_age_default(self) -> int:
        return get_settings().hub_auth_refresh_seconds

    @default("auth_refresh_strict")
    def _auth_refresh_strict_default(self) -> bool:
        # refresh_user says False only for an account that may no longer use the hub: its API
        # tokens must stop working too, not only its browser session.
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

    async def refresh_user(self, user: Any, handler: Any = None) -> dict[str, Any] | bool:
        """Re-read the account behind an open session (every ``auth_refresh_age`` seconds).

        Returns:
            False when the account is disabled or gone (JupyterHub then asks for a fresh sign-in,
            which a disabled account fails with the reason); else the user model, so that a role
            changed by an organiser takes effect without a new sign-in. While the database does
            not answer, True: the session stays as it was (the spawner and the scoring service,
            which need the database, refuse on their own).
        """
        try:
            model = await asyncio.to_thread(current_model, get_settings().db_url, user.name)
        except SQLAlchemyError as error:
            self.log.warning("cannot re-check %s's account (database: %s); keeping the session", user.name,
                             type(error).__name__)
            return True
        if model is None:
            self.log.warning("%s's account is disabled or gone: signed out", user.name)
            if handler is not None and not hasattr(handler, "_token_authenticated"):
                # JupyterHub 6.1 reads this flag on a refused refresh but sets it only when a token
                # authenticated the request: a browser session would log an AttributeError traceback.
                handler._token_authenticated = False
            return False
        return model
