"""The scoring service over HTTP (FastAPI TestClient, real database and worker; tokens mapped by a test function)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from arena.accounts import disable_user, enable_user
from arena.db import Database
from arena.health import schema_revision
from arena.models import Challenge, ChallengeState, Submission, User
from arena.settings import Settings
from scoring import Worker, create_app

TOKENS = {"tok-alice": "alice", "tok-bob": "bob", "tok-judy": "judy", "tok-ghost": "ghost"}
BASE = "/services/scoring"


def _auth(name: str) -> dict[str, str]:
    return {"Authorization": f"token tok-{name}"}


@pytest.fixture
def client(db: Database, db_settings: Settings, publish, users) -> Iterator[TestClient]:
    publish()
    quiet = db_settings.model_copy(update={"embedded_worker": False, "score_display_digits": 2})
    with TestClient(create_app(quiet, authenticate=TOKENS.get, db=db)) as test_client:
        yield test_client


def _upload(client: TestClient, who: str, path: Path, slug: str = "churn"):
    with path.open("rb") as handle:
        return client.post(
            f"{BASE}/api/challenges/{slug}/submissions",
            headers=_auth(who),
            files={"file": (path.name, handle, "text/csv")},
            data={"description": f"by {who}"},
        )


def test_health_needs_no_token(client: TestClient, db: Database) -> None:
    head = schema_revision(db).head
    response = client.get(f"{BASE}/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": {"reachable": True, "revision": head, "head": head, "migrated": True},
        "queued": 0,
    }


@pytest.mark.parametrize(
    ("headers", "status", "detail"),
    [
        ({}, 401, "missing 'Authorization: token <hub token>' header"),
        ({"Authorization": "token nope"}, 401, "the hub does not accept this token"),
        (_auth("ghost"), 403, "hub user 'ghost' has no arena account"),
    ],
)
def test_unauthenticated_calls_are_refused(client: TestClient, headers: dict, status: int, detail: str) -> None:
    response = client.get(f"{BASE}/api/challenges", headers=headers)
    assert response.status_code == status and response.json()["detail"].startswith(detail)


def test_challenges_are_listed(client: TestClient) -> None:
    response = client.get(f"{BASE}/api/challenges", headers=_auth("alice"))
    assert response.status_code == 200
    [challenge] = response.json()
    assert challenge["slug"] == "churn" and challenge["state"] == "published" and challenge["task"] == "classification"
    assert challenge["metric"] == {"primary": "accuracy", "secondary": ["f1_macro"]}


def test_competitor_sees_only_own_submissions_with_rounded_public_scores(
    client: TestClient, db: Database, db_settings: Settings, publish, predictions
) -> None:
    answers = publish(slug="other")["answers"]  # same answers as churn (same seed)
    wrong = (answers["label"] + (answers.index % 3 == 0)) % 2
    created = _upload(client, "alice", predictions(answers, wrong))
    _upload(client, "bob", predictions(answers))
    assert created.status_code == 202 and created.json()["state"] == "queued"
    while Worker(db, db_settings, "w").run_once() is not None:
        pass
    mine = client.get(f"{BASE}/api/challenges/churn/submissions", headers=_auth("alice")).json()
    assert [s["id"] for s in mine] == [created.json()["id"]]
    assert set(mine[0]["scores"]) == {"public"}  # private hidden until the challenge closes
    accuracy = mine[0]["scores"]["public"]["accuracy"]
    assert accuracy == round(accuracy, 2) and 0 < accuracy < 1
    bob_id = created.json()["id"] + 1
    assert client.get(f"{BASE}/api/challenges/churn/submissions/{bob_id}", headers=_auth("alice")).status_code == 404
    one = client.get(f"{BASE}/api/challenges/churn/submissions/{bob_id}", headers=_auth("bob")).json()
    assert one["state"] == "scored" and one["scores"]["public"]["accuracy"] == 1.0


def test_private_board_hidden_from_competitors_until_close(client: TestClient, db: Database) -> None:
    url = f"{BASE}/api/challenges/churn/leaderboard?board=private"
    refused = client.get(url, headers=_auth("alice"))
    assert refused.status_code == 403 and "hidden until the challenge closes" in refused.json()["detail"]
    assert client.get(url, headers=_auth("judy")).status_code == 200
    assert client.get(f"{BASE}/api/challenges/churn/leaderboard", headers=_auth("alice")).json() == []
    with db.session() as session:
        session.execute(update(Challenge).values(state=ChallengeState.closed))
    assert client.get(url, headers=_auth("alice")).status_code == 200


def test_errors_are_json_with_status(
    client: TestClient, db: Database, db_settings: Settings, predictions, publish
) -> None:
    answers = publish(slug="tiny", limits={"per_day": 1, "total": 5, "final_selection": 1, "team_size": 1})["answers"]
    assert _upload(client, "alice", predictions(answers), slug="tiny").status_code == 202
    quota = _upload(client, "alice", predictions(answers), slug="tiny")
    missing = _upload(client, "alice", predictions(answers), slug="nope")
    assert quota.status_code == 429 and quota.json()["detail"].startswith("limits.per_day reached: 1")
    assert missing.status_code == 404 and missing.json()["detail"] == "challenge 'nope' does not exist"


def test_embedded_worker_scores_uploads(db: Database, db_settings: Settings, publish, users, predictions) -> None:
    answers = publish()["answers"]
    fast = db_settings.model_copy(update={"embedded_worker": True, "worker_poll_seconds": 0.05})
    with TestClient(create_app(fast, authenticate=TOKENS.get, db=db)) as client:
        submission_id = _upload(client, "bob", predictions(answers)).json()["id"]
        url = f"{BASE}/api/challenges/churn/submissions/{submission_id}"
        deadline = time.monotonic() + 20
        while client.get(url, headers=_auth("bob")).json()["state"] != "scored" and time.monotonic() < deadline:
            time.sleep(0.05)
        final = client.get(url, headers=_auth("bob")).json()
    assert final["state"] == "scored" and final["scores"] == {"public": {"accuracy": 1.0, "f1_macro": 1.0}}


@pytest.mark.parametrize("size", [5_000, 500_000])
def test_too_large_upload_is_json_413_naming_the_limit(
    db: Database, db_settings: Settings, publish, users, tmp_path: Path, size: int
) -> None:
    publish()
    small = db_settings.model_copy(update={"embedded_worker": False, "submission_max_bytes": 1000})
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * size)
    with TestClient(create_app(small, authenticate=TOKENS.get, db=db)) as client:
        response = _upload(client, "alice", big)
    assert response.status_code == 413
    assert response.json() == {"detail": "submission is larger than the limit of 1000 bytes (submission_max_bytes)"}
    assert not any(p.is_file() for p in small.submissions_dir.rglob("*"))


def test_oversize_body_is_cut_while_streaming(db: Database, db_settings: Settings, publish, users) -> None:
    publish()
    small = db_settings.model_copy(update={"embedded_worker": False, "submission_max_bytes": 100_000})
    app = create_app(small, authenticate=TOKENS.get, db=db)
    boundary, chunk, chunks = "b0undary", b"1" * 65536, 160  # a 10 MiB body sent in 64 KiB messages
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'.encode()
    sent, replies = [], []

    async def receive() -> dict:
        sent.append(1)
        body = head + chunk if len(sent) == 1 else chunk
        return {"type": "http.request", "body": body, "more_body": len(sent) < chunks}

    async def send(message: dict) -> None:
        replies.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"{BASE}/api/challenges/churn/submissions",
        "raw_path": b"",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"authorization", b"token tok-alice"),
            (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
            (b"content-length", str(len(head) + chunks * len(chunk)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in replies if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in replies if m["type"] == "http.response.body")
    assert status == 413 and json.loads(body)["detail"].endswith("limit of 100000 bytes (submission_max_bytes)")
    assert len(sent) <= 3  # stopped right after the limit, not after reading 10 MiB
    assert not any(p.is_file() for p in small.submissions_dir.rglob("*"))


def test_a_disabled_users_token_is_refused_with_the_reason_and_nothing_is_stored(
    client: TestClient, db: Database, publish, predictions
) -> None:
    answers = publish(slug="other")["answers"]
    with db.session() as session:
        disable_user(session, "bob", "shared an account")

    refused = _upload(client, "bob", predictions(answers))
    listed = client.get(f"{BASE}/api/challenges", headers=_auth("bob"))
    accepted = _upload(client, "alice", predictions(answers))
    with db.session() as session:
        enable_user(session, "bob")
    again = _upload(client, "bob", predictions(answers))

    detail = "the account 'bob' is disabled (shared an account); ask an organiser to enable it again"
    assert (refused.status_code, refused.json()["detail"]) == (403, detail)
    assert (listed.status_code, listed.json()["detail"]) == (403, detail)
    assert accepted.status_code == 202 and again.status_code == 202
    with db.session() as session:
        owners = session.scalars(select(User.name).join(Submission, Submission.user_id == User.id)).all()
    assert sorted(owners) == ["alice", "bob"]  # bob's refused upload left no row
