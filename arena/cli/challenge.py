"""``arena challenge``: validate, publish, list and close challenges; build the worked examples."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from arena.db import Database
from arena.settings import Settings, get_settings
from challenges import close_challenge, list_challenges, load_bundle, publish_challenge, validate_against_store

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


def _open() -> tuple[Settings, Database]:
    settings = get_settings()
    db = Database.from_settings(settings)
    db.migrate()
    return settings, db


@app.command("validate")
def validate(
    path: Path,
    store: Annotated[bool, typer.Option(help="Also check the referenced datasets are published.")] = True,
) -> None:
    """Validate a bundle (folder or .zip) without publishing it."""
    bundle = load_bundle(path)
    if store:
        _, db = _open()
        validate_against_store(bundle, db)
    rows = len(bundle.read_answers())
    typer.echo(f"bundle {bundle.spec.slug!r} is valid ({rows} answer rows, task {bundle.spec.task})")


@app.command("publish")
def publish(
    path: Path,
    republish: Annotated[bool, typer.Option(help="Replace an already published challenge of the same slug.")] = False,
    actor: Annotated[str, typer.Option(help="Who publishes (audit log).")] = "cli",
) -> None:
    """Publish a bundle (folder or .zip): hidden answers, public files, database rows."""
    settings, db = _open()
    slug = publish_challenge(db, settings, load_bundle(path), actor, republish=republish)
    typer.echo(f"challenge {slug!r} published")


@app.command("list")
def list_command() -> None:
    """List challenges: slug, version, state, task, title."""
    _, db = _open()
    for row in list_challenges(db):
        typer.echo(f"{row.slug}\tv{row.version}\t{row.state.value}\t{row.spec.get('task', '')}\t{row.title}")


@app.command("close")
def close(slug: str, actor: Annotated[str, typer.Option(help="Who closes (audit log).")] = "cli") -> None:
    """Close a challenge (no more submissions)."""
    _, db = _open()
    row = close_challenge(db, slug, actor)
    typer.echo(f"challenge {row.slug!r} closed at {row.closed_at:%Y-%m-%d %H:%M} UTC")


@app.command("make-example")
def make_example_command(
    name: str,
    out: Annotated[Path, typer.Option(help="Folder the bundle folder is written under.")],
    seed: Annotated[int | None, typer.Option(help="Seed (default: ARENA_DEMO_SEED).")] = None,
    people: Annotated[int | None, typer.Option(help="Reference people (default: ARENA_DEMO_PEOPLE).")] = None,
    publish_bundle: Annotated[bool, typer.Option("--publish", help="Publish the challenge too.")] = False,
) -> None:
    """Build an example bundle (household-income-band | product-demand), publishing its datasets.

    With --publish the challenge itself is published too.
    """
    settings, db = _open()
    from challenges import make_example  # lazy: pulls in SDV, which the other commands do not need

    seed = settings.demo_seed if seed is None else seed
    folder = make_example(name, seed, out, db, settings, people=people)
    typer.echo(f"example bundle written to {folder}")
    if publish_bundle:
        slug = publish_challenge(db, settings, load_bundle(folder), "cli")
        typer.echo(f"challenge {slug!r} published")
