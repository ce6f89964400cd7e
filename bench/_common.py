"""Shared helpers of the benchmarks: throw-away databases, a published challenge, timing.

Benchmarks print ratios measured in the same run; they never assert absolute times.
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import create_engine, text

from arena.db import Database
from arena.models import Challenge
from arena.settings import Settings
from challenges import assign_split

__all__ = ["POSTGRES_URL", "bench_database", "best_of", "options", "publish_challenge", "spec_for"]

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T = TypeVar("T")


@contextmanager
def bench_database(kind: str, folder: Path) -> Iterator[Database]:
    """A migrated empty database: a SQLite file under ``folder`` or a fresh PostgreSQL schema (dropped after)."""
    if kind == "sqlite":
        database = Database(f"sqlite:///{folder / 'bench.db'}")
        database.migrate()
        try:
            yield database
        finally:
            database.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = Database(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    try:
        database.migrate()
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def spec_for(slug: str, task: str, primary: str, secondary: list[str], limits: dict[str, int]) -> dict[str, Any]:
    """A challenge spec with id column ``id`` and target column ``target``."""
    return {
        "slug": slug,
        "title": f"Benchmark {slug}",
        "task": task,
        "id_column": "id",
        "target_column": "target",
        "metric": {"primary": primary, "secondary": secondary},
        "datasets": [],
        "split": {"public_fraction": 0.5, "seed": 1},
        "phases": [],
        "limits": limits,
    }


def publish_challenge(db: Database, settings: Settings, spec: dict[str, Any], answers: pd.DataFrame) -> pd.DataFrame:
    """Publish like the challenges room: the Challenge row and ``answers.parquet`` with the split column."""
    answers = answers.assign(split=assign_split(answers["id"], spec["split"]["public_fraction"], spec["split"]["seed"]))
    folder = settings.answers_dir / spec["slug"]
    folder.mkdir(parents=True, exist_ok=True)
    answers.to_parquet(folder / "answers.parquet", index=False)
    with db.session() as session:
        session.add(Challenge(slug=spec["slug"], title=spec["title"], spec=spec, answers_digest="0" * 64))
    return answers


def best_of(runs: int, work: Callable[[], T]) -> tuple[float, T]:
    """Run ``work`` ``runs`` times; the fastest wall time in seconds and the last result."""
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result  # type: ignore[return-value]


def options(doc: str, defaults: dict[str, Any]) -> argparse.Namespace:
    """Parse ``--name`` options typed by their defaults (``False``: a flag), described by ``doc``'s first line."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, default in defaults.items():
        if isinstance(default, bool):
            parser.add_argument(name, action="store_true")
        else:
            parser.add_argument(name, type=type(default), default=default)
    return parser.parse_args()
