"""Read a submission file (CSV or Parquet) and check it against the hidden answers.

Every failure raises :class:`SubmissionError` whose message names the column, the row
(1-based data row, header excluded) or the count and a few example ids.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from arena.settings import Settings
from scoring.errors import SubmissionError
from scoring.metrics import get_metric

__all__ = ["PARQUET_MAGIC", "align_submission", "read_submission"]

PARQUET_MAGIC = b"PAR1"
_EXAMPLES = 5
_SNIFF_BYTES = 64 * 1024
_HEADER_BYTES = 1024 * 1024
DEFAULT_MAX_COLUMNS: int = Settings.model_fields["submission_max_columns"].default


def _parser_message(error: BaseException, path: Path) -> str:
    """The parser's message on one line, without the server path of the stored file."""
    text = str(error).replace(str(path.resolve()), path.name).replace(str(path), path.name)
    return " ".join(text.split())


def _check_header(names: list[str], width: int, limit: int, source: str) -> None:
    """Refuse a header of more than ``limit`` columns or with a repeated column name."""
    if width > limit:
        raise SubmissionError(
            f"{source}: the header has {width} columns, more than the limit of {limit} (submission_max_columns)"
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise SubmissionError(f"{source}: repeated column names in the header: {_examples(repeated)}")


def _csv_header(path: Path) -> tuple[list[str], int]:
    """The first non-blank line of a CSV parsed as its header (reads at most 1 MiB, then counts commas).

    Returns:
        The header names read and the number of columns (beyond 1 MiB, counted by the commas up to the newline).
    """
    with path.open("rb") as handle:
        head = handle.read(_HEADER_BYTES)
        text = head.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace").lstrip("\r\n")
        stream = io.StringIO(text, newline="")
        try:
            names = next(csv.reader(stream), [])
        except csv.Error:
            return [], 0  # the parser names the problem
        if len(head) < _HEADER_BYTES or stream.tell() < len(text):
            return names, len(names)
        width = len(names)
        while chunk := handle.read(_SNIFF_BYTES):
            line, newline, _ = chunk.partition(b"\n")
            width += line.count(b",")
            if newline:
                break
    return names, width


def _examples(values: Any) -> str:
    shown = [str(v) for v in list(values)[:_EXAMPLES]]
    return ", ".join(repr(v) for v in shown) + (", …" if len(values) > _EXAMPLES else "")


def _read_parquet(path: Path, id_column: str, max_columns: int) -> pd.DataFrame:
    try:
        names = pq.read_schema(path).names
        _check_header(names, len(names), max_columns, path.name)
        frame = pq.read_table(path).to_pandas()
    except (pa.ArrowException, OSError) as error:
        raise SubmissionError(f"{path.name}: not a readable Parquet file ({_parser_message(error, path)})") from None
    if id_column in frame.columns:
        frame[id_column] = frame[id_column].astype(str)
    return frame


def _read_csv_arrow(data: bytes, id_column: str) -> pd.DataFrame | None:
    """Parse CSV bytes with pyarrow (multithreaded); None when pyarrow refuses them (pandas then names the problem)."""
    options = pacsv.ConvertOptions(column_types={id_column: pa.string()}, strings_can_be_null=True)
    try:
        table = pacsv.read_csv(io.BytesIO(data.removeprefix(codecs.BOM_UTF8)), convert_options=options)
    except pa.ArrowException:
        return None
    # The id column stays in Arrow memory (no Python str objects): ids are joined in Arrow.
    frame = table.to_pandas(types_mapper={pa.string(): pd.ArrowDtype(pa.string())}.get)
    for column in frame.columns:
        if column != id_column and isinstance(frame[column].dtype, pd.ArrowDtype):
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def _read_csv(path: Path, id_column: str, max_columns: int) -> pd.DataFrame:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if b"\x00" in head:
        raise SubmissionError(f"{path.name}: binary data, not a CSV or Parquet file (NUL byte in the first bytes)")
    names, width = _csv_header(path)
    _check_header(names, width, max_columns, path.name)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SubmissionError(
            f"{path.name}: not UTF-8 text (undecodable byte 0x{data[error.start]:02x} on line {line}, "
            f"offset {error.start}); save the CSV as UTF-8"
        ) from None
    if not text.strip():
        raise SubmissionError(f"{path.name}: the file is empty")
    fast = _read_csv_arrow(data, id_column)
    if fast is not None:
        return fast
    try:
        return pd.read_csv(io.StringIO(text), dtype={id_column: str}, keep_default_na=True)
    except (pd.errors.ParserError, ValueError) as error:
        raise SubmissionError(f"{path.name}: not a valid CSV file ({_parser_message(error, path)})") from None


def read_submission(path: Path, id_column: str, max_columns: int = DEFAULT_MAX_COLUMNS) -> pd.DataFrame:
    """Read a submission file, detecting Parquet by its magic bytes and CSV otherwise.

    The header (CSV: its first line, Parquet: the schema in the footer) is checked before the file is
    parsed: at most ``max_columns`` columns, no repeated column name.

    Args:
        path: The stored submission file.
        id_column: The challenge's id column (read as strings).
        max_columns: The most columns accepted (``settings.submission_max_columns``).

    Returns:
        The submission as a DataFrame with string ids.

    Raises:
        SubmissionError: empty, binary garbage, undecodable text, too many or repeated columns, unparsable file.
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise SubmissionError(f"{path.name}: the file is empty")
    with path.open("rb") as handle:
        magic = handle.read(4)
    reader = _read_parquet if magic == PARQUET_MAGIC else _read_csv
    frame = reader(path, id_column, max_columns)
    if frame.columns.duplicated().any():
        _check_header([str(name) for name in frame.columns], 0, max_columns, path.name)
    if frame.empty:
        raise SubmissionError(f"{path.name}: the file has a header but no rows")
    return frame


def _check_columns(frame: pd.DataFrame, id_column: str, target_column: str) -> None:
    for column in (id_column, target_column):
        if column not in frame.columns:
            found = ", ".join(map(str, frame.columns[:10]))
            raise SubmissionError(f"column {column!r} is missing; the file has columns: {found}")


def _check_ids(ids: pd.Series, answer_ids: pd.Index, id_column: str) -> None:
    missing_rows = ids.isna() | (ids.str.strip() == "")
    if missing_rows.any():
        row = int(np.flatnonzero(missing_rows.to_numpy())[0]) + 1
        raise SubmissionError(f"column {id_column!r} has {int(missing_rows.sum())} empty ids, first at row {row}")
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        row = int(duplicated.index[0]) + 1
        raise SubmissionError(
            f"column {id_column!r} has {len(duplicated)} duplicate ids (first repeat at row {row}), "
            f"e.g. {_examples(duplicated.unique())}"
        )
    missing = answer_ids.difference(pd.Index(ids))
    if len(missing):
        raise SubmissionError(
            f"{len(missing)} of {len(answer_ids)} ids are missing from column {id_column!r}, e.g. {_examples(missing)}"
        )
    extra = pd.Index(ids).difference(answer_ids)
    if len(extra):
        raise SubmissionError(
            f"{len(extra)} ids in column {id_column!r} are not in this challenge, e.g. {_examples(extra)}"
        )


def _first_bad(mask: np.ndarray, ids: pd.Series) -> str:
    row = int(np.flatnonzero(mask)[0])
    return f"first at row {row + 1} (id {ids.iloc[row]!r})"


def _coerce_predictions(values: pd.Series, y_true: pd.Series, numeric: bool, column: str, ids: pd.Series) -> pd.Series:
    empty = values.isna().to_numpy()
    if empty.any():
        raise SubmissionError(f"column {column!r} has {int(empty.sum())} empty/NaN values, {_first_bad(empty, ids)}")
    if not (numeric or pd.api.types.is_numeric_dtype(y_true)):
        return values.astype(str)
    converted = pd.to_numeric(values, errors="coerce")
    bad = converted.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise SubmissionError(
            f"column {column!r} must be numeric for this challenge; {int(bad.sum())} values are not, "
            f"first at row {row + 1}: {values.iloc[row]!r}"
        )
    infinite = ~np.isfinite(converted.to_numpy(dtype=float))
    if infinite.any():
        raise SubmissionError(
            f"column {column!r} has {int(infinite.sum())} infinite values, {_first_bad(infinite, ids)}"
        )
    return converted


def align_submission(frame: pd.DataFrame, answers: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    """Check a submission against the answers and line it up with them.

    Args:
        frame: The submission (from :func:`read_submission`).
        answers: Hidden answers with the id column, the target column and ``split``.
        spec: The challenge spec (``task``, ``id_column``, ``target_column``, ``metric``).

    Returns:
        DataFrame indexed by id (answers order) with columns ``y_true``, ``y_pred``, ``split``.

    Raises:
        SubmissionError: a missing column, duplicate/missing/extra ids, NaN/inf or a wrong dtype.
    """
    id_column, target_column = spec["id_column"], spec["target_column"]
    _check_columns(frame, id_column, target_column)
    frame = frame.reset_index(drop=True)
    answer_ids = pd.Index(answers[id_column].astype(str))
    positions = _positions(frame[id_column], answer_ids, id_column)
    names = [spec["metric"]["primary"], *spec["metric"].get("secondary", [])]
    numeric = spec["task"] != "classification" or any(get_metric(n).needs_proba for n in names)
    y_true = answers[target_column].reset_index(drop=True)
    predictions = _coerce_predictions(frame[target_column], y_true, numeric, target_column, frame[id_column])
    values = predictions.to_numpy()
    y_pred = np.empty(len(answer_ids), dtype=values.dtype)
    y_pred[positions] = values
    aligned = pd.DataFrame(
        {"y_true": y_true.to_numpy(), "y_pred": y_pred, "split": answers["split"].to_numpy()}, index=answer_ids
    )
    if not numeric and not pd.api.types.is_numeric_dtype(y_true):
        aligned["y_true"] = aligned["y_true"].astype(str)
    return aligned


def _positions(ids: pd.Series, answer_ids: pd.Index, id_column: str) -> np.ndarray:
    """Position in the answers of each submitted id, in one hash pass when the ids are exactly the answers' ids.

    Only when they are not does :func:`_check_ids` look for the reason (its message names it).
    """
    if isinstance(ids.dtype, pd.ArrowDtype) and pa.types.is_string(ids.dtype.pyarrow_dtype):
        found = pc.index_in(pa.array(ids), value_set=pa.array(answer_ids, type=pa.string()))
        positions = found.fill_null(-1).to_numpy()
    else:
        positions = answer_ids.get_indexer(ids)
    covered = np.bincount(positions[positions >= 0], minlength=len(answer_ids))
    if len(ids) != len(answer_ids) or (positions < 0).any() or (covered != 1).any():
        _check_ids(ids.astype("string"), answer_ids, id_column)
    return positions
