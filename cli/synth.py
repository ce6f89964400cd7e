"""``arena synth``: reference data, metadata review, replicas and their publication."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from arena.db import Database
from arena.settings import get_settings
from synthetic import (
    detect_metadata,
    generate_reference,
    publish_dataset,
    read_metadata_yaml,
    read_replica_dir,
    read_tables,
    replicate,
    write_metadata_yaml,
    write_replica_dir,
)

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)
_INPUTS_HELP = (
    "CSV/Parquet files (table name = file name) or SQL tables as '<SQLAlchemy URL>#<table>' "
    "(e.g. 'postgresql+psycopg://user@host/db#people')."
)


def _read(inputs: list[str]) -> dict[str, pd.DataFrame]:
    """The input tables, refused before loading when over ``synth_memory_budget_bytes``."""
    return read_tables(inputs, memory_budget_bytes=get_settings().synth_memory_budget_bytes)  # type: ignore[arg-type]


@app.command("reference")
def reference(
    people: Annotated[int, typer.Option("--people", help="Number of people.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed → identical files).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the Parquet tables.")],
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="People per independent chunk.")] = 50_000,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes (or LocalCluster workers).")] = 1,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
    scheduler: Annotated[str, typer.Option("--scheduler", help="local or dask.")] = "local",
    address: Annotated[
        str | None, typer.Option("--address", help="Dask scheduler address (default: start a LocalCluster).")
    ] = None,
) -> None:
    """Generate the reference tables (people, locations, enterprises, products)."""
    paths = generate_reference(
        people,
        seed,
        out,
        chunk_size=chunk_size,
        workers=workers,
        progress=progress,
        scheduler=scheduler,  # type: ignore[arg-type]  # checked by generate_reference
        address=address,
    )
    for table, path in paths.items():
        typer.echo(f"{table}: {path}")


@app.command("detect")
def detect(
    inputs: Annotated[list[str], typer.Argument(help=_INPUTS_HELP)],
    out: Annotated[Path, typer.Option("--out", help="Metadata YAML to write for review.")],
) -> None:
    """Detect and review the metadata of tables; write it as YAML."""
    path = write_metadata_yaml(detect_metadata(_read(inputs)), out)
    typer.echo(f"metadata written to {path}: review every column (sdtype, pii) before replicating")


@app.command("replicate")
def replicate_command(
    inputs: Annotated[list[str], typer.Argument(help=_INPUTS_HELP + " 2-5 related tables: an HMA replica.")],
    metadata: Annotated[Path, typer.Option("--metadata", help="Reviewed metadata YAML.")],
    rows: Annotated[int, typer.Option("--rows", help="Synthetic rows to sample.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the replica tables and card.")],
    seed: Annotated[int, typer.Option("--seed", help="Sampling seed.")] = 0,
    holdout: Annotated[
        float,
        typer.Option(
            "--holdout",
            help="Share of source rows held out to measure distance to closest record "
            "(related tables: of each root table's rows, with their child rows).",
        ),
    ] = 0.0,
) -> None:
    """Fit a replica, sample it, evaluate the gates and write tables + card."""
    tables, card = replicate(_read(inputs), read_metadata_yaml(metadata), rows, seed, holdout_fraction=holdout)
    write_replica_dir(out, tables, card)
    for name, gate in card["gates"].items():
        typer.echo(
            f"{name:22} {gate['value']:>10} {gate['op']} {gate['threshold']:<6} {'pass' if gate['passed'] else 'FAIL'}"
        )
    typer.echo(f"replica {'PASSED' if card['passed'] else 'FAILED'} its gates; written to {out}")


@app.command("publish")
def publish(
    directory: Annotated[Path, typer.Argument(help="Folder written by `arena synth replicate`.")],
    name: Annotated[str, typer.Option("--name", help="Dataset name.")],
    override_reason: Annotated[
        str | None, typer.Option("--override-reason", help="Publish despite failing gates.")
    ] = None,
    public_reason: Annotated[
        str | None,
        typer.Option(
            "--public-reason",
            help="Publish a folder that is not a synthetic replica, declaring its rows public (reason on the card, "
            "audited). Without it only gated synthetic replicas enter the store.",
        ),
    ] = None,
) -> None:
    """Publish a replica folder as the next version of a dataset (a single table takes the dataset's name).

    The datasets store is mounted in every sandbox: it takes gated synthetic replicas only,
    unless the rows are declared public with --public-reason.
    """
    tables, card = read_replica_dir(directory)
    if len(tables) == 1:
        tables = {name: next(iter(tables.values()))}
    settings = get_settings()
    db = Database.from_settings(settings)
    try:
        db.migrate()
        ref = publish_dataset(
            db, settings, name, tables, card, override_reason=override_reason, public_reason=public_reason
        )
    finally:
        db.dispose()
    typer.echo(f"published {ref}")
