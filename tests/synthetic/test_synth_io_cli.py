"""Reading inputs with clear errors, and the ``arena synth`` commands end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.synth import app
from synthetic import InputDataError, read_table

ROOT = Path(__file__).resolve().parents[2]


def test_csv_keeps_leading_zeros_and_converts_numbers_and_dates(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("cccd,income,born\n001090123456,7700000,1990-01-02\n079201000001,0,2001-12-31\n", encoding="utf-8")

    frame = read_table(path)

    assert frame["cccd"].tolist() == ["001090123456", "079201000001"]
    assert frame["income"].dtype.kind == "i"
    assert frame["born"].dtype.kind == "M"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("absent.csv", None, "does not exist"),
        ("table.xlsx", b"x", "unsupported type .xlsx"),
        ("broken.parquet", b"not parquet", "cannot read input file"),
        ("empty.csv", b"a,b\n", "is empty"),
        ("nulls.csv", b"a,b\n1,\n2,\n", "column 'b' is entirely null"),
    ],
)
def test_bad_input_files_are_named_in_the_error(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(InputDataError, match=message) as caught:
        read_table(path)
    assert name in str(caught.value)


def test_cli_reference_detect_replicate_publish(tmp_path, monkeypatch, enterprises_source):
    monkeypatch.setenv("ARENA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("ARENA_DATABASE_URL", raising=False)
    runner = CliRunner()
    source = tmp_path / "firms.csv"
    enterprises_source["enterprises"].to_csv(source, index=False)

    reference = runner.invoke(app, ["reference", "--people", "500", "--seed", "1", "--out", str(tmp_path / "ref")])
    detect = runner.invoke(app, ["detect", str(source), "--out", str(tmp_path / "meta.yaml")])
    replicate = runner.invoke(
        app,
        [
            "replicate",
            str(source),
            "--metadata",
            str(tmp_path / "meta.yaml"),
            "--rows",
            "300",
            "--seed",
            "1",
            "--out",
            str(tmp_path / "rep"),
        ],
    )
    publish = runner.invoke(app, ["publish", str(tmp_path / "rep"), "--name", "firms"])

    assert reference.exit_code == 0 and (tmp_path / "ref" / "people.parquet").is_file()
    assert detect.exit_code == 0 and "pii_kind: tax_code" in (tmp_path / "meta.yaml").read_text(encoding="utf-8")
    assert replicate.exit_code == 0, replicate.output
    assert "PASSED" in replicate.output and json.loads((tmp_path / "rep" / "card.json").read_text())["passed"]
    assert publish.exit_code == 0 and "published firms@1" in publish.output
    assert (tmp_path / "var" / "datasets" / "firms" / "1" / "firms.parquet").is_file()


def test_cli_refusal_is_one_clear_line(tmp_path, copying):
    folder = tmp_path / "rep"
    folder.mkdir()
    tables, card = copying
    tables["enterprises"].to_parquet(folder / "enterprises.parquet")
    (folder / "card.json").write_text(json.dumps(card, default=str), encoding="utf-8")
    env = {"ARENA_DATA_DIR": str(tmp_path / "var"), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}

    result = subprocess.run(
        [sys.executable, "-c", "from cli import main; main()", "synth", "publish", str(folder), "--name", "copy"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )

    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: replica failed gate(s): new_row_synthesis = 0.0")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
