"""Benchmark: a leaderboard of 10,000 submissions from 500 teams, ONE SQL query vs ORM objects ranked in Python.

For each database (SQLite file; PostgreSQL in a fresh schema of database ``test`` on
127.0.0.1:5432, dropped at the end) it inserts the submissions with public and private scores
(primary ``rmse``, secondary ``mae``), then times :func:`scoring.leaderboard` against loading
every Submission (with its scores and team) through the ORM and ranking in Python with the
same rules. Both boards must be identical; the ratio is printed.

Run: ``.venv/bin/python bench/leaderboard.py [--teams 500] [--submissions 10000] [--runs 3] [--sqlite-only]``
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select, text
from sqlalchemy.orm import selectinload

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arena.db import Database
from arena.models import Challenge, Score, Submission, SubmissionState, Team, User
from arena.settings import Settings
from bench._common import bench_database, best_of, options, publish_challenge, spec_for
from scoring import leaderboard

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def fill(db: Database, settings: Settings, teams: int, submissions: int) -> None:
    """A published regression challenge with ``submissions`` scored entries spread over ``teams`` teams."""
    import pandas as pd

    spec = spec_for("board", "regression", "rmse", ["mae"], {"per_day": 10**6, "total": 10**6})
    publish_challenge(db, settings, spec, pd.DataFrame({"id": ["a", "b"], "target": [1.0, 2.0]}))
    rng = np.random.default_rng(0)
    values = rng.random((submissions, 4)).round(3)  # coarse values: ties happen and exercise the tie-breaks
    with db.session() as session:
        challenge_id = session.scalar(select(Challenge.id))
        user = User(name="bench")
        session.add(user)
        session.flush()
        session.execute(insert(Team), [{"challenge_id": challenge_id, "name": f"team-{t:03d}"} for t in range(teams)])
        team_ids = session.scalars(select(Team.id).order_by(Team.id)).all()
        session.execute(
            insert(Submission),
            [
                {
                    "challenge_id": challenge_id,
                    "team_id": team_ids[i % teams],
                    "user_id": user.id,
                    "filename": "s.csv",
                    "file_digest": "0" * 64,
                    "size_bytes": 1,
                    "state": SubmissionState.scored,
                    "created_at": T0 + timedelta(seconds=i),
                }
                for i in range(submissions)
            ],
        )
        ids = session.scalars(select(Submission.id).order_by(Submission.id)).all()
        columns = [("public", "rmse"), ("public", "mae"), ("private", "rmse"), ("private", "mae")]
        session.execute(
            insert(Score),
            [
                {"submission_id": sid, "split": split, "metric": metric, "value": float(values[i, c])}
                for i, sid in enumerate(ids)
                for c, (split, metric) in enumerate(columns)
            ],
        )


def orm_board(db: Database, board: str) -> list[tuple[int, str, int, float]]:
    """Load every submission as ORM objects and rank in Python (lower rmse, then mae, then earliest)."""
    with db.session() as session:
        rows = session.scalars(
            select(Submission)
            .where(Submission.state == SubmissionState.scored)
            .options(selectinload(Submission.scores))
        ).all()
        names = dict(session.execute(select(Team.id, Team.name)).all())
        best: dict[int, tuple] = {}
        for row in rows:
            scores = {s.metric: s.value for s in row.scores if s.split == board}
            key = (scores["rmse"], scores.get("mae", float("inf")), row.created_at, row.id)
            if row.team_id not in best or key < best[row.team_id]:
                best[row.team_id] = key
    ranked = sorted(best.items(), key=lambda item: item[1])
    return [(rank, names[team], key[3], key[0]) for rank, (team, key) in enumerate(ranked, start=1)]


def sql_board(db: Database, board: str) -> list[tuple[int, str, int, float]]:
    """The scoring service's one-query board."""
    with db.session() as session:
        return [(r.rank, r.team, r.submission_id, r.score) for r in leaderboard(session, "board", board)]


def measure(kind: str, teams: int, submissions: int, runs: int) -> None:
    """Fill one database and print the timings and the ratio."""
    with tempfile.TemporaryDirectory() as folder, bench_database(kind, Path(folder)) as db:
        fill(db, Settings(data_dir=Path(folder) / "var", _env_file=None), teams, submissions)
        with db.session() as session:  # planner statistics, as autovacuum/ANALYZE keeps them in service
            session.execute(text("ANALYZE"))
        sql_time, sql_rows = best_of(runs, lambda: sql_board(db, "public"))
        orm_time, orm_rows = best_of(runs, lambda: orm_board(db, "public"))
    print(
        f"{kind:10s} {submissions} submissions / {teams} teams: one SQL query {sql_time * 1000:8.1f} ms, "
        f"ORM + Python {orm_time * 1000:8.1f} ms, identical={sql_rows == orm_rows}, "
        f"speed-up {orm_time / sql_time:.1f}x (target >= 20x)"
    )


def main() -> None:
    """Run the benchmark on SQLite and PostgreSQL."""
    args = options(__doc__, {"--teams": 500, "--submissions": 10_000, "--runs": 3, "--sqlite-only": False})
    print(f"best of {args.runs} runs each (public board; private board uses the same query plus final selection)")
    for kind in ("sqlite",) if args.sqlite_only else ("sqlite", "postgresql"):
        measure(kind, args.teams, args.submissions, args.runs)


if __name__ == "__main__":
    main()
