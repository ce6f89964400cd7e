"""Top-level scoring commands: ``arena score``, ``worker``, ``queue-status``, ``serve-scoring``, ``sweep-store``."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
from pathlib import Path
from typing import Annotated

import typer

from arena.db import Database
from arena.logging import configure_logging
from arena.models import utcnow
from arena.settings import get_settings
from scoring import Worker, oldest_queued_at, queue_depth, score_offline, serve, sweep_store

__all__ = ["register"]


def score(
    challenge: Annotated[str, typer.Argument(help="Challenge bundle folder, or the slug of a published challenge.")],
    submission: Annotated[Path, typer.Argument(help="Prediction file (CSV or Parquet).")],
    split: Annotated[
        list[str] | None, typer.Option("--split", help="public | private | all (repeatable; default: all three).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Score a submission file offline, with the service's validation and metrics."""
    results = score_offline(challenge, submission, split or ("public", "private", "all"), settings=get_settings())
    if as_json:
        typer.echo(json.dumps(results, indent=2))
        return
    for name, values in results.items():
        typer.echo(f"{name:8s} " + "  ".join(f"{metric}={value:.6g}" for metric, value in values.items()))


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def worker(
    name: Annotated[str | None, typer.Option(help="Worker name (default: host-pid).")] = None,
) -> None:
    """Run a scoring worker until Ctrl-C or SIGTERM."""
    settings = get_settings()
    configure_logging(settings)
    db = Database.from_settings(settings)
    db.migrate()
    label = name or f"{socket.gethostname()}-{os.getpid()}"
    typer.echo(f"worker {label} scoring from {db.url.split('@')[-1]}")
    Worker(db, settings, label).run_forever(_stop_on_signals())


def queue_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Show the scoring queue: depth per state, age of the oldest queued submission, failures."""
    db = Database.from_settings(get_settings())
    db.migrate()
    with db.session() as session:
        status: dict[str, int | float | None] = dict(queue_depth(session))
        oldest = oldest_queued_at(session)
    status["oldest_queued_age_seconds"] = round((utcnow() - oldest).total_seconds(), 1) if oldest else None
    if as_json:
        typer.echo(json.dumps(status))
        return
    for key, value in status.items():
        typer.echo(f"{key}: {value}")


def serve_scoring() -> None:
    """Run the scoring service (the hub's managed-service command)."""
    settings = get_settings()
    configure_logging(settings)
    serve(settings)


def sweep_store_command() -> None:
    """Remove abandoned uploads and stored files no submission names (older than ARENA_UPLOAD_STALE_SECONDS)."""
    settings = get_settings()
    report = sweep_store(Database.from_settings(settings), settings)
    for path in (*report.staging, *report.unreferenced):
        typer.echo(f"removed {path}")
    typer.echo(
        f"{len(report.staging)} abandoned upload(s), {len(report.unreferenced)} unreferenced file(s) removed "
        f"from {settings.submissions_dir}"
    )


def register(app: typer.Typer) -> None:
    """Add the scoring commands to the top-level ``arena`` app."""
    app.command("score")(score)
    app.command("worker")(worker)
    app.command("queue-status")(queue_status)
    app.command("serve-scoring")(serve_scoring)
    app.command("sweep-store")(sweep_store_command)
