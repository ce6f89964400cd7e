"""``arena users``: create users, set roles, disable and enable accounts, list them."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

import httpx

from arena.accounts import create_user, disable_user, enable_user, set_role
from arena.db import Database
from arena.models import User
from arena.settings import Settings, get_settings

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


@app.command("disable")
def disable(
    name: str,
    reason: Annotated[str, typer.Option(help="Shown to the user when a sign-in, spawn or submission is refused.")] = "",
) -> None:
    """Disable an account: no sign-in, no sandbox, no submission; its running sandboxes are stopped."""
    with _db().session() as session:
        user = disable_user(session, name, reason)
        typer.echo(f"user {user.name} disabled" + (f" ({user.disabled_reason})" if user.disabled_reason else ""))
    _stop_sandboxes(get_settings(), name)


@app.command("enable")
def enable(name: str) -> None:
    """Enable a disabled account again."""
    with _db().session() as session:
        user = enable_user(session, name)
        typer.echo(f"user {user.name} enabled")


def _stop_sandboxes(settings: Settings, name: str) -> None:
    """Stop ``name``'s sandboxes through the hub, or say why none needs stopping."""
    from hub.config import ops_token_path  # the hub's room: imported only when needed
    from hub.servers import stop_user_servers

    if not ops_token_path(settings).exists():
        typer.echo("the hub has never run here: no sandbox to stop")
        return
    try:
        left = stop_user_servers(settings, name, echo=typer.echo)
    except httpx.HTTPError as error:
        typer.echo(
            f"the hub does not answer ({error.__class__.__name__}): a sandbox of {name} still running was not "
            f"stopped; run `arena users disable {name}` again once the hub is up (new ones are refused meanwhile)",
            err=True,
        )
        return
    if left:
        typer.echo(f"still running after the wait: {', '.join(left)}; stop them from the hub's admin page", err=True)
        raise typer.Exit(1)
    typer.echo(f"no sandbox of {name} is running")


@app.command("list")
def list_users() -> None:
    """List users, roles and disabled accounts."""
    with _db().session() as session:
        for user in session.scalars(select(User).order_by(User.name)):
            state = "\tdisabled" + (f" ({user.disabled_reason})" if user.disabled_reason else "") if user.disabled_at else ""
            typer.echo(f"{user.name}\t{user.role.value}{state}")
