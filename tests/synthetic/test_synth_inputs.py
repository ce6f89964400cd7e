"""Bad inputs are refused with errors naming the problem; SQL tables and the memory budget."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import create_engine
from typer.testing import CliRunner

from arena.settings import Settings
from cli.synth import app
from synthetic import InputDataError, read_table, read_tables, validate_table


def _numbers_with_one_word(tmp_path):
    path = tmp_path / "incomes.csv"
    path.write_text("id,income\n" + "".join(f"{i},{i * 1000}\n" for i in range(1, 20)) + "20,unknown\n")
    return path


def test_a_csv_column_mixing_numbers_and_text_names_column_and_row(tmp_path):
    path = _numbers_with_one_word(tmp_path)

    with pytest.raises(
        InputDataError, match=r"column 'income' mixes numbers and text \(row 21 of the file holds 'unknown'"
    ):
        read_table(path)


def test_an_object_column_mixing_types_and_a_duplicate_key_are_refused():
    mixed = pd.DataFrame({"code": ["a", 2, "c"]})
    keyed = pd.DataFrame({"id": ["x", "y", "x"], "v": [1, 2, 3]})

    with pytest.raises(InputDataError, match=r"table 't': column 'code' mixes types \['number', 'str'\] \(row 1: 2"):
        validate_table(mixed, "t")
    with pytest.raises(InputDataError, match=r"key column 'id' is not unique \(1 duplicate\(s\), e.g. 'x'\)"):
        validate_table(keyed, "t", key="id")


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_tables_over_the_memory_budget_are_refused_before_loading(tmp_path, suffix):
    path = tmp_path / f"big.{suffix}"
    frame = pd.DataFrame({"a": range(5000), "b": ["some text"] * 5000})
    frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path)

    with pytest.raises(InputDataError, match=rf"input {path} needs about \d+ MB in memory, over the budget of 0 MB"):
        read_table(path, memory_budget_bytes=1000)
    assert len(read_table(path, memory_budget_bytes=10**9)) == 5000


def test_the_cli_applies_the_memory_budget_setting(tmp_path, monkeypatch):
    path = _numbers_with_one_word(tmp_path)
    monkeypatch.setenv("ARENA_SYNTH_MEMORY_BUDGET_BYTES", "100")

    result = CliRunner().invoke(app, ["detect", str(path), "--out", str(tmp_path / "meta.yaml")])

    assert Settings().synth_memory_budget_bytes == 100
    assert isinstance(result.exception, InputDataError) and "ARENA_SYNTH_MEMORY_BUDGET_BYTES" in str(result.exception)


def test_sql_tables_read_like_files_with_clear_errors(db_url, tmp_path):
    source = pd.DataFrame({"household_id": ["H1", "H2", "H3"], "size": [2, 4, 1]})
    engine = create_engine(db_url)
    source.to_sql("households", engine, index=False)
    engine.dispose()

    tables = read_tables([f"{db_url}#households"])
    cli = CliRunner().invoke(app, ["detect", f"{db_url}#households", "--out", str(tmp_path / "meta.yaml")])

    pd.testing.assert_frame_equal(tables["households"], source)
    assert cli.exit_code == 0, cli.output
    assert "household_id" in (tmp_path / "meta.yaml").read_text(encoding="utf-8")
    with pytest.raises(InputDataError, match="no table 'people'"):
        read_table(f"{db_url}#people")
    with pytest.raises(InputDataError, match="over the budget"):
        read_table(f"{db_url}#households", memory_budget_bytes=10)
    with pytest.raises(InputDataError, match="bad SQL source nosuchdb://x#t"):
        read_table("nosuchdb://x#t")
    with pytest.raises(
        InputDataError, match=r"SQL source postgresql\+psycopg://u:\*\*\*@127.0.0.1:1/x#t: connection failed"
    ):
        read_table("postgresql+psycopg://u:secret@127.0.0.1:1/x#t")
