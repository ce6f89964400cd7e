"""Organisers' actions over HTTP: validate, publish, close, export: the CLI's rules, audited."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from challenge_bundles import base_spec, write_bundle
from fastapi.testclient import TestClient
from sqlalchemy import select

from arena.accounts import create_user
from arena.db import Database
from arena.models import AuditEvent, Challenge, ChallengeState, Dataset
from arena.settings import Settings
from scoring import create_app

BASE = "/services/scoring"
TOKENS = {"tok-minh": "minh", "tok-lan": "lan"}


def _auth(name: str) -> dict[str, str]:
    return {"Authorization": f"token tok-{name}", "Content-Type": "application/zip"}


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, path.relative_to(folder.parent))
    return buffer.getvalue()


@pytest.fixture
def client(db: Database, db_settings: Settings) -> Iterator[TestClient]:
    with db.session() as session:
        create_user(session, "minh", "organiser", None)
        create_user(session, "lan", "competitor", None)
        session.add(Dataset(name="people", version=1, checksum="0" * 64, rows=40, card={"kind": "synthetic_replica"}))
    quiet = db_settings.model_copy(update={"embedded_worker": False})
    with TestClient(create_app(quiet, authenticate=TOKENS.get, db=db)) as test_client:
        yield test_client


def test_organiser_validates_publishes_closes_and_exports(client: TestClient, db: Database, tmp_path: Path) -> None:
    bundle = _zip(write_bundle(tmp_path / "household", base_spec(starter_notebook=None)))

    checked = client.post(f"{BASE}/api/organiser/bundles/validate", content=bundle, headers=_auth("minh"))
    published = client.post(f"{BASE}/api/organiser/bundles/publish", content=bundle, headers=_auth("minh"))
    closed = client.post(f"{BASE}/api/challenges/household-income-band/close", headers=_auth("minh"))
    ranking = client.get(f"{BASE}/api/challenges/household-income-band/ranking?board=private", headers=_auth("minh"))

    assert checked.status_code == 200, checked.text
    summary = checked.json()
    assert summary["slug"] == "household-income-band" and summary["datasets"] == {"people@1": 1}
    assert summary["answer_rows"] == 40 and summary["starter"] == "generated from the spec"
    assert published.status_code == 201 and published.json()["published"] == "household-income-band"
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert ranking.status_code == 200 and ranking.text.startswith("rank,")
    assert ranking.headers["content-type"].startswith("text/csv")
    with db.session() as session:
        assert session.scalar(select(Challenge.state)) == ChallengeState.closed
        actions = session.execute(select(AuditEvent.action, AuditEvent.actor).order_by(AuditEvent.id)).all()
    assert [a for a in actions if a[0].startswith("challenge.")] == [
        ("challenge.publish", "minh"), ("challenge.close", "minh"), ("challenge.export", "minh")
    ]  # fmt: skip


def test_a_bad_bundle_gets_the_validation_error_and_nothing_is_published(
    client: TestClient, db: Database, tmp_path: Path
) -> None:
    bundle = _zip(write_bundle(tmp_path / "bad", base_spec(datasets=["firms@1"])))

    checked = client.post(f"{BASE}/api/organiser/bundles/validate", content=bundle, headers=_auth("minh"))
    published = client.post(f"{BASE}/api/organiser/bundles/publish", content=bundle, headers=_auth("minh"))

    assert checked.status_code == published.status_code == 400
    assert "'firms@1' is not published" in checked.json()["detail"]
    with db.session() as session:
        assert session.scalar(select(Challenge.id)) is None


def test_the_same_rules_as_the_cli(client: TestClient, tmp_path: Path) -> None:
    bundle = _zip(write_bundle(tmp_path / "household", base_spec()))
    changed = _zip(write_bundle(tmp_path / "changed", base_spec(title="Another title")))

    refused = client.post(f"{BASE}/api/organiser/bundles/publish", content=bundle, headers=_auth("lan"))
    client.post(f"{BASE}/api/organiser/bundles/publish", content=bundle, headers=_auth("minh"))
    again = client.post(f"{BASE}/api/organiser/bundles/publish", content=changed, headers=_auth("minh"))
    early = client.get(f"{BASE}/api/challenges/household-income-band/ranking?board=private", headers=_auth("minh"))
    empty = client.post(f"{BASE}/api/organiser/bundles/validate", content=b"", headers=_auth("minh"))

    assert refused.status_code == 403 and "role 'competitor'" in refused.json()["detail"]
    assert again.status_code == 400 and "republish explicitly" in again.json()["detail"]
    assert early.status_code == 400 and "closed" in early.json()["detail"]
    assert empty.status_code == 400 and "no bundle received" in empty.json()["detail"]
