"""The sandbox client: dataset listing and loading per the store contract, and clear errors."""

from __future__ import annotations

import socket
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

    with pytest.raises(client.ArenaClientError, match="cannot reach the scoring service"):
        client.submit(pd.DataFrame({"id": [1], "y": [0]}), "income")


def test_submitting_a_missing_file_names_it(
    client: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARENA_SCORING_URL", "http://127.0.0.1:9/services/scoring")

    with pytest.raises(client.ArenaClientError, match="predictions.csv does not exist"):
        client.submit(tmp_path / "predictions.csv", "income")
