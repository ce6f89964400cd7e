"""The harness (``python -m arena_client.harness``), run as a real process on a real features file.

Here it runs with the project's Python and ``--smoke-test`` (this host has a network); the enclave
runs of the same harness are in ``tests/scoring/test_enclave_escapes.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from sandboxes import CLIENT_DIR

FEATURES = pd.DataFrame({"row_id": [10, 11, 12, 13], "x": [1.0, 2.0, None, 4.0]})


def harness(tmp_path: Path, main_py: str | None, *extra: str) -> tuple[int, str, Path]:
    """Run the harness on FEATURES with ``main_py``; return its exit code, output and the CSV path."""
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    if main_py is not None:
        (code / "main.py").write_text(textwrap.dedent(main_py))
    features = tmp_path / "features.parquet"
    FEATURES.to_parquet(features, index=False)
    out = tmp_path / "predictions.csv"
    argv = [sys.executable, "-m", "arena_client.harness", "--code", str(code), "--features", str(features)]
    argv += ["--out", str(out), "--id-column", "row_id", "--target-column", "y", *extra]
    result = subprocess.run(argv, capture_output=True, text=True, cwd=code, env={"PYTHONPATH": str(CLIENT_DIR)})
    return result.returncode, result.stdout + result.stderr, out


def returning(expression: str) -> str:
    return f"import pandas as pd\ndef predict(features):\n    return {expression}\n"


def test_a_good_predict_writes_id_and_target_and_exits_0(tmp_path: Path) -> None:
    main = returning('pd.DataFrame({"row_id": features["row_id"][::-1], "y": features["x"].fillna(0), "z": 1})')

    code, output, out = harness(tmp_path, main, "--smoke-test", "--status", str(tmp_path / "status.json"))

    assert code == 0, output
    written = pd.read_csv(out)
    assert list(written.columns) == ["row_id", "y"] and sorted(written["row_id"]) == [10, 11, 12, 13]
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["outcome"] == "ok" and status["rows"] == 4 and status["rule"] == ""
    assert "smoke test, the network check is skipped" in output


@pytest.mark.parametrize(
    ("expression", "rule"),
    [
        ('pd.DataFrame({"row_id": [10, 11, 12], "y": 1})', "1 row_id values of the features are missing"),
        ('pd.DataFrame({"row_id": [10, 11, 12, 12], "y": 1})', "1 row_id values appear more than once"),
        ('pd.DataFrame({"row_id": [10, 11, 12, 13, 14], "y": 1})', "1 are not in the features"),
        ('pd.DataFrame({"row_id": features["row_id"], "y": features["x"]})', "1 rows have no y"),
        ('pd.DataFrame({"row_id": features["row_id"], "target": 1})', "no column y"),
        ('pd.DataFrame({"row_id": [[1], [2], [3], [4]], "y": 1})', "4 row_id values of the features are missing"),
    ],
    ids=["missing-id", "duplicate-id", "extra-row", "missing-target", "wrong-column", "list-ids"],
)
def test_invalid_output_exits_12_naming_the_rule_never_a_value(tmp_path: Path, expression: str, rule: str) -> None:
    code, output, out = harness(tmp_path, returning(expression), "--smoke-test", "--status", str(tmp_path / "s.json"))

    assert code == 12, output
    assert rule in json.loads((tmp_path / "s.json").read_text())["rule"]
    assert not out.exists()


@pytest.mark.parametrize(
    ("main_py", "code"),
    [
        (None, 10),
        ("import no_such_module_here\n", 10),
        ("def predict(features):\n    raise ValueError('boom')\n", 10),
        ("import sys\ndef predict(features):\n    sys.exit(0)\n", 10),
        ("PREDICT = 1\n", 10),
        ("def predict(features):\n    pass\n", 11),
        ("def predict(features):\n    return features['x']\n", 11),
    ],
    ids=["no-main", "import-error", "raises", "sys-exit", "no-predict", "returns-none", "returns-series"],
)
def test_errors_and_missing_output_have_their_exit_codes(tmp_path: Path, main_py: str | None, code: int) -> None:
    exit_code, output, _ = harness(tmp_path, main_py, "--smoke-test")

    assert exit_code == code, output


def test_without_smoke_test_a_host_with_a_network_is_refused(tmp_path: Path) -> None:
    code, output, out = harness(tmp_path, returning('pd.DataFrame({"row_id": features["row_id"], "y": 1})'))

    assert code == 13 and "network is up" in output
    assert not out.exists()


def test_unreadable_features_are_a_platform_error(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "main.py").write_text(returning("None"))
    (tmp_path / "features.parquet").write_text("not parquet")
    argv = [sys.executable, "-m", "arena_client.harness", "--code", str(code), "--features"]
    argv += [str(tmp_path / "features.parquet"), "--out", str(tmp_path / "o.csv"), "--id-column", "row_id"]
    argv += ["--target-column", "y", "--smoke-test"]

    result = subprocess.run(argv, capture_output=True, text=True, env={"PYTHONPATH": str(CLIENT_DIR)})

    assert result.returncode == 13 and "cannot read the features" in result.stdout
