"""``arena challenge``: validate, publish, list, close and export challenges; build the worked examples.

Organiser commands (publish, close, export, make-example --publish) act as ``--actor NAME``, an
arena user with role organiser or admin, recorded in the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from arena.db import Database
from arena.settings import Settings, get_settings
from challenges import (
    close_challenge,
    export_ranking,
    list_challenges,
    load_bundle,
    publish_challenge,
    ranking_csv,
    require_organiser,
    validate_against_store,
)
from challenges.held_out import migrate_test_sets
from scoring import leaderboard
from scoring.code_runs import read_run_log

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)

Actor = Annotated[str, typer.Option("--actor", help="Arena user acting (role organiser or admin; audit log).")]


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
    actor: Actor,
    republish: Annotated[bool, typer.Option(help="Replace an already published challenge of the same slug.")] = False,
    rescore: Annotated[
        bool, typer.Option(help="With --republish: re-queue every scored submission (scores deleted).")
    ] = False,
) -> None:
    """Publish a bundle (folder or .zip): hidden answers, public files, database rows."""
    settings, db = _open()
    require_organiser(db, actor, "publish")
    slug = publish_challenge(db, settings, load_bundle(path), actor, republish=republish, rescore=rescore)
    typer.echo(f"challenge {slug!r} published" + (", scored submissions re-queued" if rescore else ""))


@app.command("list")
def list_command() -> None:
    """List challenges: slug, version, state, task, title."""
    _, db = _open()
    for row in list_challenges(db):
        typer.echo(f"{row.slug}\tv{row.version}\t{row.state.value}\t{row.spec.get('task', '')}\t{row.title}")


@app.command("close")
def close(slug: str, actor: Actor) -> None:
    """Close a challenge (no more submissions)."""
    _, db = _open()
    require_organiser(db, actor, "close")
    row = close_challenge(db, slug, actor)
    typer.echo(f"challenge {row.slug!r} closed at {row.closed_at:%Y-%m-%d %H:%M} UTC")


@app.command("export")
def export(
    slug: str,
    actor: Actor,
    out: Annotated[Path | None, typer.Option(help="CSV file to write (default: standard output).")] = None,
    board: Annotated[str, typer.Option(help="private (final ranking, once closed) | public.")] = "private",
) -> None:
    """Export the ranking as CSV: rank, team, members, scores, entries, last submission."""
    _, db = _open()
    require_organiser(db, actor, "export")
    text = ranking_csv(export_ranking(db, slug, board, leaderboard, actor))
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(f"{board} ranking of {slug!r} written to {out}", err=True)


@app.command("make-example")
def make_example_command(
    name: str,
    out: Annotated[Path, typer.Option(help="Folder the bundle folder is written under.")],
    seed: Annotated[int | None, typer.Option(help="Seed (default: ARENA_DEMO_SEED).")] = None,
    people: Annotated[int | None, typer.Option(help="Reference people (default: ARENA_DEMO_PEOPLE).")] = None,
    publish_bundle: Annotated[bool, typer.Option("--publish", help="Publish the challenge too.")] = False,
    actor: Annotated[str, typer.Option("--actor", help="With --publish: the organiser publishing.")] = "",
) -> None:
    """Build an example bundle (household-income-band | product-demand | enterprise-revenue), publishing its datasets.

    With --publish the challenge itself is published too.
    """
    settings, db = _open()
    if publish_bundle:
        require_organiser(db, actor, "publish")
    from challenges import make_example  # lazy: pulls in SDV, which the other commands do not need

    seed = settings.demo_seed if seed is None else seed
    folder = make_example(name, seed, out, db, settings, people=people)
    typer.echo(f"example bundle written to {folder}")
    if publish_bundle:
        slug = publish_challenge(db, settings, load_bundle(folder), actor)
        typer.echo(f"challenge {slug!r} published")


@app.command("migrate-test-sets")
def migrate_test_sets_command(
    actor: Actor,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would move.")] = False,
) -> None:
    """Take real rows out of the datasets store: real test sets become code challenges' scoring-side features.

    Every published dataset whose card is neither a gated synthetic replica nor declared public
    leaves the store; a challenge that used it as its test set switches to code mode, its real
    rows kept on the scoring side and a gated synthetic replica published under the same name.
    """
    settings, db = _open()
    require_organiser(db, actor, "migrate test sets")
    report = migrate_test_sets(db, settings, actor, dry_run=dry_run)
    verb = "would move" if dry_run else "moved"
    for ref, slug in report.moved.items():
        replica = report.replicas.get(slug, "a gated synthetic replica")
        typer.echo(f"{ref}: {verb} to the scoring side of {slug!r}, replaced by {replica}")
    for ref in report.withdrawn:
        typer.echo(f"{ref}: {'would be' if dry_run else ''} withdrawn from the store (no challenge uses it)".replace("  ", " "))
    if not report.moved and not report.withdrawn:
        typer.echo("every dataset in the store is a gated synthetic replica or declared public: nothing to migrate")


@app.command("run-log")
def run_log(submission_id: int, actor: Actor) -> None:
    """Print the scoring-side log of a code submission's run (organisers only; each read is audited).

    The log may hold real rows the code printed: it never leaves the scoring side otherwise.
    """
    _, db = _open()
    require_organiser(db, actor, "read run logs")
    typer.echo(read_run_log(db, submission_id, actor), nl=False)
