"""The client's code-submission half: the smoke test runs the real harness on the synthetic replica and shows
the full log; ``pack_code`` packs what the enclave will unpack."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import textwrap
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from arena.settings import Settings
from sandboxes import ensure_sandbox_env

SPEC = {
    "slug": "people-code",
    "id_column": "person_id",
    "target_column": "label",
    "submission": "code",
    "code": {"wall_seconds": 20},
    "test_replica": "people_test",
}
GOOD = """
    import pandas as pd

    print("HELLO FROM PREDICT")

    def predict(features):
        print("rows seen:", len(features), features["nickname"].iloc[0])
        return pd.DataFrame({"person_id": features["person_id"], "label": features["age"] / 2})
"""
RAISES = """
    def predict(features):
        raise RuntimeError("model file is missing " + features["nickname"].iloc[0])
"""


@pytest.fixture
def stores(tmp_path: Path) -> dict[str, str]:
    """A datasets store with the synthetic replica ``people_test@1`` and the challenge's public files."""
    folder = tmp_path / "datasets" / "people_test" / "1"
    folder.mkdir(parents=True)
    replica = pd.DataFrame({"person_id": [f"TS{i:03d}" for i in range(12)], "age": range(12),
                            "nickname": [f"synthetic-{i}" for i in range(12)]})  # fmt: skip
    replica.to_parquet(folder / "people_test.parquet", index=False)
    (folder.parent / "latest").write_text("1\n")
    challenge = tmp_path / "challenges" / "people-code"
    challenge.mkdir(parents=True)
    (challenge / "challenge.json").write_text(json.dumps(SPEC))
    return {"ARENA_DATASETS_DIR": str(tmp_path / "datasets"), "ARENA_CHALLENGES_DIR": str(tmp_path / "challenges")}


def _smoke(tmp_path: Path, stores: dict[str, str], main_py: str) -> tuple[dict, str]:
    """Run ``smoke_test`` with the sandbox environment's Python, as a notebook in the sandbox does."""
    settings = Settings(data_dir=tmp_path / "var", _env_file=None)
    python = ensure_sandbox_env(settings) / "bin" / "python"
    code = tmp_path / "my-code"
    code.mkdir()
    (code / "main.py").write_text(textwrap.dedent(main_py))
    script = (
        "import json, arena_client\n"
        f"result = arena_client.smoke_test({str(code)!r}, challenge='people-code')\n"
        "result.pop('predictions')\n"
        "print('RESULT', json.dumps(result))\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("ARENA_")} | stores
    finished = subprocess.run([str(python), "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    return json.loads(lines[-1].removeprefix("RESULT ")), "\n".join(lines[:-1])


def test_smoke_test_runs_the_harness_and_shows_the_full_log(tmp_path: Path, stores: dict[str, str]) -> None:
    result, printed = _smoke(tmp_path, stores, GOOD)

    assert (result["outcome"], result["rows"]) == ("ok", 12)
    assert "HELLO FROM PREDICT" in printed and "rows seen: 12 synthetic-0" in printed
    assert "people_test@1 (synthetic)" in printed and "--- outcome: ok, 12 rows" in printed


def test_smoke_test_shows_the_traceback_of_a_failing_predict(tmp_path: Path, stores: dict[str, str]) -> None:
    result, printed = _smoke(tmp_path, stores, RAISES)

    assert result["outcome"] == "error"
    assert "Traceback" in printed and "RuntimeError: model file is missing synthetic-0" in printed


def test_pack_code_leaves_out_caches_and_needs_main_py(client: ModuleType, tmp_path: Path) -> None:
    code = tmp_path / "code"
    (code / "__pycache__").mkdir(parents=True)
    (code / "main.py").write_text("def predict(f):\n    return f\n")
    (code / "model.pkl").write_bytes(b"\x80\x04N.")
    (code / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"x")
    (code / ".secret").write_text("token")

    packed = client.pack_code(code)

    with tarfile.open(fileobj=io.BytesIO(packed), mode="r:gz") as archive:
        assert sorted(archive.getnames()) == ["main.py", "model.pkl"]
    with pytest.raises(client.ArenaClientError, match="has no main.py"):
        client.pack_code(tmp_path)
