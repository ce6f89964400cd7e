"""Loading and checking the tables a replica is made from (CSV or Parquet), with clear errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from synthetic.errors import InputDataError

__all__ = ["read_table", "validate_table"]


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame.

    Args:
        path: ``.csv`` or ``.parquet`` file.

    Returns:
        The table (CSV identifiers keep their leading zeros: every column is read as text first,
        then numeric/date-looking columns are converted).

    Raises:
        InputDataError: Missing, unsupported, unreadable or empty file (the message names it).
    """
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"input file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix == ".csv":
            frame = _convert_csv_columns(pd.read_csv(path, dtype=str, keep_default_na=True))
        else:
            raise InputDataError(f"input file {path}: unsupported type {suffix or '(none)'} (use .csv or .parquet)")
    except InputDataError:
        raise
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise InputDataError(f"cannot read input file {path}: {error}") from error
    validate_table(frame, path.stem, source=str(path))
    return frame


def _convert_csv_columns(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        text = frame[column].dropna()
        if text.empty or text.str.fullmatch(r"0\d+").any():
            continue  # leading zeros: an identifier, keep it as text
        numbers = pd.to_numeric(text, errors="coerce")
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
    if key is not None:
        if key not in frame.columns:
            raise InputDataError(f"{where}: key column {key!r} is missing")
        duplicated = frame[key][frame[key].duplicated()]
        if not duplicated.empty:
            raise InputDataError(
                f"{where}: key column {key!r} is not unique ({len(duplicated)} duplicate(s), e.g. {duplicated.iloc[0]!r})"
            )
