"""What a competitor gets back of a code submission over HTTP: nothing of the real features, no log line.

The real test features carry a sentinel value in every row; the submitted code prints the whole
frame, raises with the sentinel as its message (and, in another run, returns it as its
predictions). Every response the competitor can ask for is then searched for the sentinel and
for any line of the run's log.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from code_challenges import SENTINEL, archive_of, code_settings, publish_code_challenge
from enclave_runs import enclave_missing
from fastapi.testclient import TestClient
from test_code_submissions_worker import GOOD, RAISES, VALUES_ECHOED

from arena.db import Database
from arena.settings import Settings
from sandboxes import ensure_sandbox_env
from scoring import Worker, create_app

pytestmark = pytest.mark.skipif(enclave_missing() is not None, reason=f"no enclave here: {enclave_missing()}")

TOKENS = {"tok-alice": "alice", "tok-bob": "bob", "tok-judy": "judy"}
BASE = "/services/scoring"
SLUG = "people-code"
ALICE = {"Authorization": "token tok-alice"}


@pytest.fixture
def settings(db_settings: Settings) -> Settings:
    ensure_sandbox_env(db_settings)
    return code_settings(db_settings, embedded_worker=False, score_display_digits=2)


@pytest.fixture
def client(db: Database, settings: Settings, users) -> Iterator[TestClient]:
    publish_code_challenge(db, settings, SLUG)
    with TestClient(create_app(settings, authenticate=TOKENS.get, db=db)) as test_client:
        yield test_client


def _upload(client: TestClient, archive: Path, slug: str = SLUG):
    with archive.open("rb") as handle:
        return client.post(
            f"{BASE}/api/challenges/{slug}/submissions",
            headers=ALICE,
            files={"file": ("code.tar.gz", handle, "application/gzip")},
        )


def test_competitor_responses_hold_no_real_value_and_no_log_line(
    client: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    worker = Worker(db, settings, "w")
    accepted = []
    for number, main_py in enumerate((RAISES, VALUES_ECHOED, GOOD)):
        response = _upload(client, archive_of(tmp_path / f"code-{number}", main_py))
        assert response.status_code == 202, response.text
        accepted.append(response.json())
        worker.run_once()

    seen = [
        client.get(f"{BASE}/api/challenges/{SLUG}/submissions", headers=ALICE),
        *(client.get(f"{BASE}/api/challenges/{SLUG}/submissions/{item['id']}", headers=ALICE) for item in accepted),
        client.get(f"{BASE}/api/challenges/{SLUG}/leaderboard", headers=ALICE),
        client.get(f"{BASE}/api/challenges", headers=ALICE),
    ]

    texts = [response.text for response in seen]
    assert all(response.status_code == 200 for response in seen)
    raised, echoed, good = (response.json() for response in seen[1:4])
    assert [item["kind"] for item in accepted] == ["code"] * 3 and accepted[0]["state"] == "queued"
    assert (raised["state"], raised["outcome"], raised["run_time"]) == ("failed", "error", "<10 s")
    assert (echoed["state"], echoed["outcome"]) == ("failed", "invalid_output")
    assert (good["state"], good["outcome"], good["scores"]) == ("scored", "ok", {"public": {"rmse": 0.0, "mae": 0.0}})
    logs = [Path(path) for path in _log_paths(db)]
    log_lines = {line.strip() for log in logs for line in log.read_text().splitlines() if len(line.strip()) > 8}
    assert any(SENTINEL in line for line in log_lines)  # the runs did print it: the log is where it stays
    for text in texts:
        assert SENTINEL not in text
        assert not [line for line in log_lines if line in text], "a line of a run's log reached the competitor"
        assert "Traceback" not in text and "ValueError" not in text and "log_path" not in text


def _log_paths(db: Database) -> list[str]:
    from sqlalchemy import select

    from arena.models import Submission

    with db.session() as session:
        return [path for path in session.scalars(select(Submission.log_path)) if path]


def test_wrong_kind_of_upload_is_refused_with_the_way_to_submit(client: TestClient, tmp_path: Path) -> None:
    csv = tmp_path / "predictions.csv"
    csv.write_text("person_id,label\nT00000,1.0\n")

    response = _upload(client, csv)

    assert response.status_code == 400
    assert "is a code challenge: upload a .zip or .tar.gz of the folder holding main.py" in response.json()["detail"]


def test_code_archive_over_the_challenge_cap_is_refused_while_streaming(client: TestClient, tmp_path: Path) -> None:
    archive = archive_of(tmp_path / "big", GOOD, files={"model.bin": b"\0" * (6 * 1024**2)})
    archive.write_bytes(archive.read_bytes() + bytes(range(256)) * (6 * 4096))  # incompressible tail past 5 MB

    response = _upload(client, archive)

    assert response.status_code == 413
    assert "code.max_upload_mb = 5" in response.json()["detail"]
