"""``arena db``: schema migrations."""

from __future__ import annotations

import typer

from arena.db import Database
from arena.settings import get_settings

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Migrate the database to the newest schema (idempotent)."""
    settings = get_settings()
    Database.from_settings(settings).migrate()
    typer.echo(f"database at {settings.db_url.split('@')[-1]} is at the newest schema")
