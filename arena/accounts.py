"""Platform accounts: users, their role and their password (scrypt-hashed).

The hub's authenticator verifies passwords against these rows, and the services read
the role from them; JupyterHub groups mirror the role.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.db import audit
from arena.errors import AccountDisabled, ArenaError, NotFoundError
from arena.models import Role, User, utcnow

__all__ = [
    "AccountDisabled",
    "AccountError",
    "create_user",
    "disable_user",
    "disabled_message",
    "enable_user",
    "find_user",
    "hash_password",
    "set_role",
    "verify_password",
]

_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")
_N, _R, _P = 2**14, 8, 1


class AccountError(ArenaError):
    """A user name, role or password is not acceptable."""


def hash_password(password: str) -> str:
    """Hash ``password`` with scrypt and a random salt; the result names its parameters."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
    return f"scrypt${_N}${_R}${_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches the ``stored`` hash (constant-time)."""
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def find_user(session: Session, name: str) -> User | None:
    """The user called ``name``, or None."""
    return session.scalar(select(User).where(User.name == name))


def create_user(session: Session, name: str, role: Role | str, password: str | None, actor: str = "cli") -> User:
    """Create a user, or update the role and password of an existing one.

    Raises:
        AccountError: the name is not a valid hub user name, the role is unknown,
            or the password is shorter than 8 characters.
    """
    if not _NAME.match(name):
        raise AccountError(
            f"user name {name!r} is not valid: 2-32 characters, lower-case letters, digits, '-' or '_', "
            "starting with a letter"
        )
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(f"role {role!r} is unknown; choose one of {', '.join(r.value for r in Role)}") from None
    if password is not None and len(password) < 8:
        raise AccountError(f"password for {name!r} is too short: {len(password)} characters, at least 8 needed")
    user = find_user(session, name)
    if user is None:
        user = User(name=name, role=role)
        session.add(user)
    user.role = role
    if password is not None:
        user.password_hash = hash_password(password)
    session.flush()
    audit(session, actor, "user.upsert", f"user:{name}", role=role.value)
    return user


def set_role(session: Session, name: str, role: Role | str, actor: str = "cli") -> User:
    """Change the role of an existing user.

    Raises:
        NotFoundError: no such user.
    """
    _existing(session, name)
    return create_user(session, name, role, None, actor=actor)


def disabled_message(user: User) -> str:
    """What a disabled user is told (sign-in page, spawn page, scoring API), reason included."""
    reason = f" ({user.disabled_reason})" if user.disabled_reason else ""
    return f"the account {user.name!r} is disabled{reason}; ask an organiser to enable it again"


def _existing(session: Session, name: str) -> User:
    user = find_user(session, name)
    if user is None:
        raise NotFoundError(f"user {name!r} does not exist")
    return user


def disable_user(session: Session, name: str, reason: str = "", actor: str = "cli") -> User:
    """Disable an account: it can no longer sign in, start a sandbox or submit (its rows stay).

    Disabling an already disabled account updates the reason and keeps the first date.

    Raises:
        NotFoundError: no such user.
    """
    user = _existing(session, name)
    user.disabled_at = user.disabled_at or utcnow()
    user.disabled_reason = reason.strip() or None
    session.flush()
    audit(session, actor, "user.disable", f"user:{name}", reason=user.disabled_reason)
    return user


def enable_user(session: Session, name: str, actor: str = "cli") -> User:
    """Enable a disabled account again (nothing changes for an enabled one but the audit line).

    Raises:
        NotFoundError: no such user.
    """
    user = _existing(session, name)
    user.disabled_at, user.disabled_reason = None, None
    session.flush()
    audit(session, actor, "user.enable", f"user:{name}")
    return user
