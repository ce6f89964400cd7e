"""``arena db``: schema migrations, backup and restore."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from arena.backup import backup_database, restore_database
from arena.db import Database
from arena.settings import get_settings

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


def _where(url: str) -> str:
    return url.split("@")[-1]


def _summary(rows: dict[str, int]) -> str:
    return f"{len(rows)} tables, {sum(rows.values())} rows"


@app.command("upgrade")
def upgrade() -> None:
    """Migrate the database to the newest schema (idempotent)."""
    settings = get_settings()
    Database.from_settings(settings).migrate()
    typer.echo(f"database at {_where(settings.db_url)} is at the newest schema")


@app.command("backup")
def backup(
    file: Annotated[Path, typer.Argument(help="Backup file to write (pg_dump archive, or SQLite file).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Back up the database (pg_dump on PostgreSQL, the online backup API on SQLite)."""
    url = get_settings().db_url
    rows = backup_database(url, file, force=force)
    typer.echo(f"backed up {_where(url)} ({_summary(rows)}) to {file}")


@app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="Backup file written by `arena db backup`.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite a database whose tables hold rows.")] = False,
) -> None:
    """Restore a backup into the database; refuses a non-empty database unless --force. Stop the platform first."""
    url = get_settings().db_url
    rows = restore_database(url, file, force=force)
    typer.echo(f"restored {file} into {_where(url)} ({_summary(rows)})")
