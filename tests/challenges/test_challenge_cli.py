"""``arena challenge``: validate, publish, list, close, export through the command line, as an organiser."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli.challenge import app
from arena.db import Database
from arena.models import AuditEvent, Submission, SubmissionState
from arena.settings import Settings
from challenges import AccessDeniedError, BundleError, ChallengeError

BundleMaker = Callable[..., Path]
Scorer = Callable[[str, str, pd.DataFrame], Submission]
SLUG = "household-income-band"


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, db_settings: Settings, users: Database) -> Settings:
    """Point the CLI's settings at the test data dir and database (``people@1`` and the test users in it)."""
    monkeypatch.setenv("ARENA_DATA_DIR", str(db_settings.data_dir))
    monkeypatch.setenv("ARENA_DATABASE_URL", db_settings.db_url)
    return db_settings


def test_validate_publish_list_close(make_bundle: BundleMaker, cli_env: Settings, users: Database) -> None:
    runner, folder = CliRunner(), str(make_bundle())

    validated = runner.invoke(app, ["validate", folder])
    published = runner.invoke(app, ["publish", folder, "--actor", "minh"])
    listed = runner.invoke(app, ["list"])
    closed = runner.invoke(app, ["close", SLUG, "--actor", "root-admin"])

    assert validated.exit_code == 0 and f"'{SLUG}' is valid (40 answer rows" in validated.output
    assert published.exit_code == 0 and "published" in published.output
    assert listed.output.startswith(f"{SLUG}\tv1\tpublished\tclassification\t")
    assert closed.exit_code == 0 and "closed at" in closed.output
    with users.session() as session:
        audited = session.execute(select(AuditEvent.action, AuditEvent.actor).where(AuditEvent.object == SLUG)).all()
    assert audited == [("challenge.publish", "minh"), ("challenge.close", "root-admin")]


REFUSALS = {
    "competitor": ("lan", "user 'lan' has role 'competitor'; role admin or organiser is required"),
    "judge": ("hoa", "user 'hoa' has role 'judge'; role admin or organiser is required"),
    "unknown user": (
        "ghost",
        "'ghost' is not an arena user; act as a user with role admin or organiser (--actor NAME)",
    ),
}


@pytest.mark.parametrize(("actor", "message"), REFUSALS.values(), ids=REFUSALS.keys())
@pytest.mark.parametrize("command", ["publish", "close", "export"])
def test_organiser_commands_refuse_other_users(
    make_bundle: BundleMaker, cli_env: Settings, users: Database, command: str, actor: str, message: str
) -> None:
    target = str(make_bundle()) if command == "publish" else SLUG

    result = CliRunner().invoke(app, [command, target, "--actor", actor])

    assert isinstance(result.exception, AccessDeniedError)
    assert str(result.exception) == f"{command}: {message}"
    with users.session() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action.like("challenge.%"))) is None


def test_actor_is_required(make_bundle: BundleMaker, cli_env: Settings) -> None:
    result = CliRunner().invoke(app, ["publish", str(make_bundle())])

    assert result.exit_code == 2 and "Missing option '--actor'" in result.output


def test_export_round_trip(
    make_bundle: BundleMaker,
    open_spec: dict,
    cli_env: Settings,
    submit_scored: Scorer,
    answers_frame: Callable[..., pd.DataFrame],
    tmp_path: Path,
) -> None:
    runner, out = CliRunner(), tmp_path / "ranking.csv"
    runner.invoke(app, ["publish", str(make_bundle(open_spec)), "--actor", "minh"], catch_exceptions=False)
    submit_scored(SLUG, "tuan", answers_frame().assign(income_band=0))
    submit_scored(SLUG, "lan", answers_frame())

    early = runner.invoke(app, ["export", SLUG, "--actor", "minh"])
    public = runner.invoke(app, ["export", SLUG, "--actor", "minh", "--board", "public"])
    runner.invoke(app, ["close", SLUG, "--actor", "minh"], catch_exceptions=False)
    final = runner.invoke(app, ["export", SLUG, "--actor", "minh", "--out", str(out)])

    assert isinstance(early.exception, ChallengeError)
    assert f"challenge '{SLUG}' is published, not closed" in str(early.exception)
    assert public.exit_code == 0 and public.stdout.startswith("rank,team,members,f1_macro,accuracy,entries,")
    assert final.exit_code == 0 and f"private ranking of '{SLUG}' written to {out}" in final.output
    exported = pd.read_csv(out)
    assert exported[["rank", "team", "members"]].values.tolist() == [[1, "lan", "lan"], [2, "tuan", "tuan"]]
    assert exported.loc[0, "f1_macro"] == 1.0
    assert pd.read_csv(io.StringIO(public.stdout))["team"].tolist() == ["lan", "tuan"]


def test_bad_bundle_raises_arena_error(make_bundle: BundleMaker, cli_env: Settings) -> None:
    folder = make_bundle({"split": {"public_fraction": 2, "seed": 1}})

    result = CliRunner().invoke(app, ["validate", str(folder)])

    assert isinstance(result.exception, BundleError)
    assert "public_fraction 2.0 must be strictly between 0 and 1" in str(result.exception)


def test_make_example_and_publish(cli_env: Settings, tmp_path: Path) -> None:
    out = tmp_path / "examples"
    command = ["make-example", SLUG, "--seed", "5", "--people", "1000", "--out", str(out), "--publish"]

    refused = CliRunner().invoke(app, command)
    result = CliRunner().invoke(app, [*command, "--actor", "minh"])

    assert isinstance(refused.exception, AccessDeniedError) and "--actor NAME" in str(refused.exception)
    assert result.exit_code == 0, result.output
    assert f"example bundle written to {out / SLUG}" in result.output
    assert f"challenge '{SLUG}' published" in result.output
    assert (cli_env.challenges_dir / SLUG / "starter.ipynb").is_file()


def test_publish_republish_rescore(
    make_bundle: BundleMaker,
    open_spec: dict,
    cli_env: Settings,
    users: Database,
    submit_scored: Scorer,
    answers_frame: Callable[..., pd.DataFrame],
) -> None:
    runner = CliRunner()
    runner.invoke(app, ["publish", str(make_bundle(open_spec)), "--actor", "minh"], catch_exceptions=False)
    scored = submit_scored(SLUG, "lan", answers_frame())
    changed = make_bundle({**open_spec, "title": "Income band v2"}, name="v2")

    result = runner.invoke(app, ["publish", str(changed), "--actor", "minh", "--republish", "--rescore"])

    assert result.exit_code == 0 and f"challenge '{SLUG}' published, scored submissions re-queued" in result.output
    with users.session() as session:
        assert session.get(Submission, scored.id).state == SubmissionState.queued
