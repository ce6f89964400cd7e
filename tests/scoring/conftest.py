"""Scoring fixtures: a published challenge (Challenge row + answers Parquet) and users, built by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from arena.accounts import create_user
from arena.db import Database
from arena.models import Challenge, Phase, Score, Submission, SubmissionState, Team, User, utcnow
from arena.settings import Settings
from challenges import assign_split

Publish = Callable[..., dict[str, Any]]


def _answers(task: str, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = [f"p{i:04d}" for i in range(n)]
    if task == "classification":
        target = rng.integers(0, 2, n)
    else:
        target = rng.normal(50.0, 10.0, n).round(3)
    return pd.DataFrame({"person_id": ids, "label": target})


@pytest.fixture
def publish(db: Database, db_settings: Settings) -> Publish:
    """Publish a challenge the way the challenges room does (row + ``answers.parquet`` with ``split``)."""

    def _publish(
        slug: str = "churn",
        *,
        task: str = "classification",
        primary: str = "accuracy",
        secondary: tuple[str, ...] = ("f1_macro",),
        n: int = 40,
        limits: dict[str, int] | None = None,
        phase_open: bool | None = True,
        seed: int = 3,
    ) -> dict[str, Any]:
        answers = _answers(task, n, seed)
        answers["split"] = assign_split(answers["person_id"], 0.5, seed)
        folder = db_settings.answers_dir / slug
        folder.mkdir(parents=True, exist_ok=True)
        answers.to_parquet(folder / "answers.parquet", index=False)
        spec = {
            "slug": slug,
            "title": f"Challenge {slug}",
            "task": task,
            "id_column": "person_id",
            "target_column": "label",
            "metric": {"primary": primary, "secondary": list(secondary)},
            "datasets": ["people@1"],
            "split": {"public_fraction": 0.5, "seed": seed},
            "phases": [],
            "limits": limits or {"per_day": 50, "total": 100, "final_selection": 2, "team_size": 3},
        }
        with db.session() as session:
            challenge = Challenge(slug=slug, title=spec["title"], spec=spec, answers_digest="0" * 64)
            if phase_open is not None:
                now = utcnow()
                start = now - timedelta(days=1) if phase_open else now + timedelta(days=1)
                challenge.phases.append(Phase(name="development", starts_at=start, ends_at=start + timedelta(days=7)))
            session.add(challenge)
        return {"spec": spec, "answers": answers}

    return _publish


@pytest.fixture
def users(db: Database) -> dict[str, str]:
    """Users ``alice`` and ``bob`` (competitors) and ``judy`` (judge)."""
    roles = {"alice": "competitor", "bob": "competitor", "judy": "judge"}
    with db.session() as session:
        for name, role in roles.items():
            create_user(session, name, role, None)
    return roles


@pytest.fixture
def predictions(tmp_path: Path) -> Callable[..., Path]:
    """Writer of submission files: the answers' ids and ``values`` (default: the true labels)."""
    counter = iter(range(10**6))

    def _write(answers: pd.DataFrame, values: Any = None, fmt: str = "csv") -> Path:
        path = tmp_path / f"submission-{next(counter)}.{fmt}"
        frame = pd.DataFrame(
            {"person_id": answers["person_id"], "label": answers["label"] if values is None else values}
        )
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
        return path

    return _write


class AddSubmission:
    """Insert a submission of a team (created by name if needed) with given scores, ``minute`` after ``t0``."""

    t0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

    def __init__(self, db: Database) -> None:
        self.db = db

    def __call__(
        self,
        team: str,
        minute: int,
        public: tuple[float, float] | None,
        state: SubmissionState = SubmissionState.scored,
        private: tuple[float, float] | None = None,
        metrics: tuple[str, str] = ("rmse", "mae"),
    ) -> int:
        with self.db.session() as session:
            challenge = session.query(Challenge).order_by(Challenge.id).first()
            team_row = session.query(Team).filter_by(name=team).one_or_none()
            if team_row is None:
                team_row = Team(challenge_id=challenge.id, name=team)
                session.add(team_row)
                session.flush()
            submission = Submission(
                challenge_id=challenge.id,
                team_id=team_row.id,
                user_id=session.query(User).first().id,
                filename="s.csv",
                file_digest="0" * 64,
                size_bytes=1,
                state=state,
                created_at=self.t0 + timedelta(minutes=minute),
            )
            session.add(submission)
            session.flush()
            for split, values in (("public", public), ("private", private or public)):
                if values is not None and state == SubmissionState.scored:
                    session.add_all(
                        Score(submission_id=submission.id, split=split, metric=m, value=v)
                        for m, v in zip(metrics, values, strict=True)
                    )
            return submission.id


@pytest.fixture
def add_submission(db: Database) -> AddSubmission:
    """Insert hand-scored submissions (leaderboard and final-selection tests)."""
    return AddSubmission(db)
