"""The sandbox client: dataset listing and loading per the store contract, and clear errors."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest


def test_datasets_lists_every_published_version(client: ModuleType, datasets_dir: Path) -> None:
    entries = client.datasets()

    assert [(entry["name"], entry["version"]) for entry in entries] == [("people", 1), ("people", 2)]


def test_load_takes_latest_unless_pinned(client: ModuleType, datasets_dir: Path) -> None:
    latest = client.load("people")
    pinned = client.load("people@1", table="people")

    assert isinstance(latest, pd.DataFrame) and latest.shape == (3, 2)
    assert pinned.shape == (2, 2) and list(pinned.columns) == ["person_id", "age"]


@pytest.mark.parametrize(
    ("ref", "table", "message"),
    [
        ("firms", None, "dataset 'firms' not found .* available: people"),
        ("people@9", None, r"people@9 not found; versions: 1, 2"),
        ("people", "households", "table 'households' not in people@2; tables: people"),
    ],
)
def test_load_names_what_is_missing(
    client: ModuleType, datasets_dir: Path, ref: str, table: str | None, message: str
) -> None:
    with pytest.raises(client.ArenaClientError, match=message):
        client.load(ref, table=table)


def test_datasets_without_a_store_says_so(
    client: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARENA_DATASETS_DIR", str(tmp_path / "nothing"))

    with pytest.raises(client.ArenaClientError, match="no datasets published yet"):
        client.datasets()


def test_scoring_calls_outside_a_sandbox_explain_why(client: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARENA_SCORING_URL", raising=False)

    with pytest.raises(client.ArenaClientError, match="ARENA_SCORING_URL is not set"):
        client.challenges()


def test_unreachable_scoring_service_is_a_clear_error(client: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setenv("ARENA_SCORING_URL", f"http://127.0.0.1:{port}/services/scoring")
    monkeypatch.setattr(client, "RETRY_DELAYS", (0.01, 0.01))

    with pytest.raises(client.ArenaClientError, match="cannot reach the scoring service"):
        client.submit(pd.DataFrame({"id": [1], "y": [0]}), "income")


class _Unavailable(BaseHTTPRequestHandler):
    """Answers 503 (database unavailable) to the first ``busy`` POSTs, then accepts; counts bodies received."""

    busy = 0
    received: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(body)
        if len(type(self).received) <= type(self).busy:
            self._answer(503, {"detail": "the scoring database is unavailable right now"})
        else:
            self._answer(202, {"id": 7, "state": "queued"})

    def _answer(self, status: int, payload: dict[str, object]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def unavailable_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Unavailable]]:
    """A scoring stand-in whose database is 'down' for the first POSTs (set ``busy``)."""
    handler = type("Handler", (_Unavailable,), {"busy": 0, "received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("ARENA_SCORING_URL", f"http://127.0.0.1:{server.server_address[1]}/services/scoring")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "sandbox-token")
    yield handler
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("busy", "accepted"), [(2, True), (9, False)])
def test_submit_tries_again_while_the_service_answers_503(
    client: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    unavailable_service: type[_Unavailable],
    busy: int,
    accepted: bool,
) -> None:
    unavailable_service.busy = busy
    monkeypatch.setattr(client, "RETRY_DELAYS", (0.01, 0.01, 0.01))

    if accepted:
        result = client.submit(pd.DataFrame({"id": [1], "y": [0]}), "income", wait=False)
        assert result == {"id": 7, "state": "queued"}
    else:
        with pytest.raises(client.ArenaClientError, match=r"refused \(HTTP 503\): the scoring database is unavailable"):
            client.submit(pd.DataFrame({"id": [1], "y": [0]}), "income", wait=False)

    assert len(unavailable_service.received) == (busy + 1 if accepted else 4)
    assert all(b'name="file"' in body for body in unavailable_service.received)


def test_submitting_a_missing_file_names_it(
    client: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARENA_SCORING_URL", "http://127.0.0.1:9/services/scoring")

    with pytest.raises(client.ArenaClientError, match="predictions.csv does not exist"):
        client.submit(tmp_path / "predictions.csv", "income")


def test_a_scored_submission_is_one_printed_line_and_a_short_result(
    client: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    scored = {"id": 12, "state": "scored", "error": None, "scores": {"public": {"f1_macro": 0.54113, "accuracy": 0.5}}}

    client._report(scored)
    shown = client.Submission(scored)

    assert capsys.readouterr().out == "submission 12 scored: public: f1_macro 0.5411, accuracy 0.5000\n"
    assert repr(shown) == "<submission 12: scored>" and shown["scores"]["public"]["accuracy"] == 0.5
