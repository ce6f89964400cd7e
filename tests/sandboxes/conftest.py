"""Fixtures of the sandbox-side tests: the client imported from its source tree, a datasets store."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from sandboxes import CLIENT_DIR


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The ``arena_client`` module (stdlib/pandas/httpx only, so the project venv can import it)."""
    monkeypatch.syspath_prepend(str(CLIENT_DIR))
    import arena_client

    yield arena_client
    for name in [name for name in sys.modules if name == "arena_client" or name.startswith("arena_client.")]:
        sys.modules.pop(name, None)


@pytest.fixture
def datasets_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A datasets store per the contract: people@1 and people@2 (latest), the index, as the spawner sets it."""
    root = tmp_path / "datasets"
    entries = []
    for version, rows in ((1, 2), (2, 3)):
        folder = root / "people" / str(version)
        folder.mkdir(parents=True)
        frame = pd.DataFrame({"person_id": range(rows), "age": [30 + v for v in range(rows)]})
        frame.to_parquet(folder / "people.parquet", index=False)
        entries.append({"name": "people", "version": version, "tables": ["people"], "rows": {"people": rows}})
    (root / "people" / "latest").write_text("2\n")
    (root / "index.json").write_text(json.dumps({"datasets": entries}))
    monkeypatch.setenv("ARENA_DATASETS_DIR", str(root))
    return root
