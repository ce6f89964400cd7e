"""Loading and checking the tables a replica is made from (CSV or Parquet), with clear errors."""

from __future__ import annotations

import datetime
import numbers
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import MetaData, Table, create_engine, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from arena.parquet import read_parquet
from synthetic.errors import InputDataError

__all__ = ["is_sql_source", "read_sql_table", "read_table", "source_name", "validate_table"]

_MIXED_SHARE = 0.9  # a CSV column this share numeric, but not all, mixes numbers and text


_CSV_MEMORY_FACTOR = 6  # pandas holds a CSV's text as Python objects: ~6 bytes of memory per byte of file
_PARQUET_MEMORY_FACTOR = 3  # per uncompressed Parquet byte
_SQL_BYTES_PER_CELL = 64


def read_table(path: Path | str, *, memory_budget_bytes: int | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file, or a SQL table, into a DataFrame.

    Args:
        path: ``.csv`` or ``.parquet`` file, or ``<SQLAlchemy URL>#<table>`` (e.g.
            ``postgresql+psycopg://user@host/db#people``).
        memory_budget_bytes: Refuse inputs estimated to need more memory, BEFORE loading them
            (CSV: file size × 6; Parquet: uncompressed size from its footer × 3; SQL: rows ×
            columns × 64 bytes from a ``COUNT(*)``). None: no limit.

    Returns:
        The table (CSV identifiers keep their leading zeros: every column is read as text first,
        then numeric/date-looking columns are converted).

    Raises:
        InputDataError: Missing, unsupported, unreadable, too large or empty input, an all-null
            column or a column mixing types (the message names the file/table, column and row).
    """
    if is_sql_source(path):
        return read_sql_table(str(path), memory_budget_bytes=memory_budget_bytes)
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"input file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            _check_budget(str(path), _parquet_bytes(path) * _PARQUET_MEMORY_FACTOR, memory_budget_bytes)
            frame = read_parquet(path)
        elif suffix == ".csv":
            _check_budget(str(path), path.stat().st_size * _CSV_MEMORY_FACTOR, memory_budget_bytes)
            frame = _convert_csv_columns(pd.read_csv(path, dtype=str, keep_default_na=True), str(path))
        else:
            raise InputDataError(f"input file {path}: unsupported type {suffix or '(none)'} (use .csv or .parquet)")
    except InputDataError:
        raise
    except (OSError, ValueError, pd.errors.ParserError, pa.ArrowException) as error:
        raise InputDataError(f"cannot read input file {path}: {error}") from error
    validate_table(frame, path.stem, source=str(path))
    return frame


def is_sql_source(path: Path | str) -> bool:
    """True for ``<SQLAlchemy URL>#<table>`` inputs (a ``://`` and a ``#``)."""
    return isinstance(path, str) and "://" in path and "#" in path


def source_name(path: Path | str) -> str:
    """The table name an input gives: the file's stem, or the SQL table after ``#``."""
    return str(path).rsplit("#", 1)[1] if is_sql_source(path) else Path(path).stem


def read_sql_table(source: str, *, memory_budget_bytes: int | None = None) -> pd.DataFrame:
    """Read ``<SQLAlchemy URL>#<table>`` (see :func:`read_table`)."""
    url, table = source.rsplit("#", 1)
    try:
        shown = f"{make_url(url).render_as_string(hide_password=True)}#{table}"
        engine = create_engine(url)
    except (ArgumentError, ImportError, ValueError) as error:
        raise InputDataError(f"bad SQL source {source.split('@')[-1]}: {error}") from error
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(table):
                raise InputDataError(f"SQL source {shown}: no table {table!r}")
            target = Table(table, MetaData(), autoload_with=connection)
            rows = connection.execute(select(func.count()).select_from(target)).scalar_one()
            _check_budget(shown, rows * len(target.columns) * _SQL_BYTES_PER_CELL, memory_budget_bytes)
            frame = pd.read_sql_table(table, connection)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise InputDataError(f"cannot read SQL source {shown}: {reason}") from error
    finally:
        engine.dispose()
    validate_table(frame, table, source=shown)
    return frame


def _parquet_bytes(path: Path) -> int:
    metadata = pq.ParquetFile(path).metadata
    return sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))


def _check_budget(source: str, estimate: int, budget: int | None) -> None:
    if budget is not None and estimate > budget:
        raise InputDataError(
            f"input {source} needs about {estimate / 1e6:,.0f} MB in memory, over the budget of "
            f"{budget / 1e6:,.0f} MB (setting ARENA_SYNTH_MEMORY_BUDGET_BYTES): sample it down first"
        )


def _convert_csv_columns(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    for column in frame.columns:
        text = frame[column].dropna()
        if text.empty or text.str.fullmatch(r"0\d+").any():
            continue  # leading zeros: an identifier, keep it as text
        numbers = pd.to_numeric(text, errors="coerce")
        if numbers.notna().mean() >= _MIXED_SHARE and numbers.isna().any():
            row = numbers.index[numbers.isna()][0]
            raise InputDataError(
                f"table {Path(source).stem!r} ({source}): column {column!r} mixes numbers and text "
                f"(row {row + 2} of the file holds {text[row]!r}; {numbers.isna().sum()} such value(s))"
            )
        if numbers.notna().all():
            frame[column] = pd.to_numeric(frame[column])
        elif text.str.fullmatch(r"\d{4}-\d{2}-\d{2}([ T][\d:.]+)?").all():
            frame[column] = pd.to_datetime(frame[column])
    return frame


def validate_table(frame: pd.DataFrame, table: str, *, key: str | None = None, source: str | None = None) -> None:
    """Check a table is usable: rows, no all-null column, a unique non-null key.

    Raises:
        InputDataError: Naming the table (and file), column and problem.
    """
    where = f"table {table!r}" + (f" ({source})" if source else "")
    if frame.empty or len(frame.columns) == 0:
        raise InputDataError(f"{where} is empty")
    for column in frame.columns:
        if frame[column].isna().all():
            raise InputDataError(f"{where}: column {column!r} is entirely null")
        if frame[column].dtype == object:
            _check_one_kind(frame[column], where)
    if key is not None:
        if key not in frame.columns:
            raise InputDataError(f"{where}: key column {key!r} is missing")
        duplicated = frame[key][frame[key].duplicated()]
        if not duplicated.empty:
            raise InputDataError(
                f"{where}: key column {key!r} is not unique ({len(duplicated)} duplicate(s), e.g. {duplicated.iloc[0]!r})"
            )


def _kind(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return "boolean"
    if isinstance(value, numbers.Number):
        return "number"
    if isinstance(value, datetime.date | pd.Timestamp):
        return "date"
    return type(value).__name__


def _check_one_kind(values: pd.Series, where: str) -> None:
    """Refuse an object column whose values are of different kinds (text and numbers, …)."""
    kinds = values.dropna().map(_kind)
    if kinds.nunique() > 1:
        first = kinds.iloc[0]
        row = kinds.index[kinds != first][0]
        raise InputDataError(
            f"{where}: column {values.name!r} mixes types {sorted(set(kinds))} "
            f"(row {row}: {values[row]!r} is {kinds[row]}, row {kinds.index[0]} is {first})"
        )
