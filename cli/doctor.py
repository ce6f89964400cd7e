"""``arena doctor``: check a deployment and print what to fix, one line per check."""

from __future__ import annotations

import typer

from arena.health import run_checks
from arena.settings import get_settings
from challenges.held_out import check_datasets_store

__all__ = ["register"]


def doctor() -> None:
    """Run every deployment check (database, answers, proxy, bubblewrap, home quota, secrets, datasets); exit 1 if one fails."""
    settings = get_settings()
    results = [*run_checks(settings), check_datasets_store(settings)]
    for result in results:
        label = typer.style("OK  " if result.ok else "FAIL", fg=typer.colors.GREEN if result.ok else typer.colors.RED)
        typer.echo(f"{label} {result.name:<11} {result.message}")
    if not all(result.ok for result in results):
        raise SystemExit(1)  # not typer.Exit: `main()` runs click with standalone_mode=False


def register(app: typer.Typer) -> None:
    """Add ``arena doctor`` to the top-level app."""
    app.command("doctor")(doctor)
