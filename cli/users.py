"""``arena users``: create users, set roles, list them."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from arena.accounts import create_user, set_role
from arena.db import Database
from arena.models import User
from arena.settings import get_settings

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


def _db() -> Database:
    db = Database.from_settings(get_settings())
    db.migrate()
    return db


@app.command("add")
def add(
    name: str,
    role: Annotated[str, typer.Option(help="competitor | organiser | judge | admin")] = "competitor",
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = ...,
) -> None:
    """Create a user (or reset the password and role of an existing one)."""
    with _db().session() as session:
        user = create_user(session, name, role, password)
        typer.echo(f"user {user.name} ({user.role.value}) saved")


@app.command("role")
def role(name: str, role: str) -> None:
    """Change a user's role."""
    with _db().session() as session:
        user = set_role(session, name, role)
        typer.echo(f"user {user.name} is now {user.role.value}")


@app.command("list")
def list_users() -> None:
    """List users and roles."""
    with _db().session() as session:
        for user in session.scalars(select(User).order_by(User.name)):
            typer.echo(f"{user.name}\t{user.role.value}")
