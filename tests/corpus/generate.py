"""The bad-input corpus: malformed submission files and the generator of the big or odd ones.

Small entries are committed under ``tests/corpus/submissions/`` (written by ``python
tests/corpus/generate.py write``); the big ones (10^6 columns, a 2 GB sparse file, a gzip bomb)
are generated at test time into a temporary folder, never committed.

Every entry targets the bundle of ``tests/reliability`` (40 people ``p0000``…``p0039``, id column
``person_id``, integer target ``income_band`` in 0..3). ``EXPECTED[name]`` is a lowercase
fragment the error message must contain, or ``None`` when the file is a valid submission.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
from pathlib import Path

import pandas as pd

__all__ = ["BIG", "EXPECTED", "IDS", "entries", "good_frame", "write_big", "write_small"]

IDS = [f"p{i:04d}" for i in range(40)]
FORMULA = "=cmd|' /C calc'!A0"
HERE = Path(__file__).parent / "submissions"


def good_frame() -> pd.DataFrame:
    """A valid submission: every id with its true band."""
    return pd.DataFrame({"person_id": IDS, "income_band": [i % 4 for i in range(40)]})


def _csv(frame: pd.DataFrame, **options: object) -> bytes:
    return frame.to_csv(index=False, **options).encode()


def _rows(header: str, cells: list[str], newline: str = "\n") -> bytes:
    return (newline.join([header, *cells]) + newline).encode()


def _with(prediction: str, row: int = 3) -> bytes:
    cells = _good_lines()
    cells[row] = f"{IDS[row]},{prediction}"
    return _rows("person_id,income_band", cells)


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _good_lines() -> list[str]:
    return [f"{i},{n % 4}" for n, i in enumerate(IDS)]


def entries() -> dict[str, bytes]:
    """Name (file name with suffix) → content of every small corpus entry."""
    good = good_frame()
    lines = _good_lines()
    noted = good.assign(note="ok")
    noted.loc[2, "note"] = "line one\nline two"
    injected = good.assign(note=FORMULA)
    parquet_good = _parquet(good)
    return {
        # columns
        "missing_id_column.csv": _csv(good.rename(columns={"person_id": "id"})),
        "missing_prediction_column.csv": _csv(good.rename(columns={"income_band": "prediction"})),
        "only_id_column.csv": _csv(good[["person_id"]]),
        "header_only.csv": b"person_id,income_band\n",
        "headerless.csv": _rows(lines[0], lines[1:]),
        "semicolon_delimited.csv": _csv(good, sep=";"),
        "tab_delimited.csv": _csv(good, sep="\t"),
        "duplicate_column_names.csv": _rows("person_id,income_band,income_band", [f"{c},1" for c in lines]),
        "case_mismatch_columns.csv": _csv(good.rename(columns=str.upper)),
        # ids
        "duplicate_id.csv": _rows("person_id,income_band", [*lines[:-1], lines[0]]),
        "duplicate_id_extra_row.csv": _rows("person_id,income_band", [*lines, lines[5]]),
        "missing_one_id.csv": _rows("person_id,income_band", lines[:-1]),
        "missing_half_ids.csv": _rows("person_id,income_band", lines[:20]),
        "extra_id.csv": _rows("person_id,income_band", [*lines, "p9999,1"]),
        "all_wrong_ids.csv": _rows("person_id,income_band", [f"x{n},1" for n in range(40)]),
        "empty_id.csv": _rows("person_id,income_band", [",1", *lines[1:]]),
        "whitespace_id.csv": _rows("person_id,income_band", ["   ,1", *lines[1:]]),
        "quoted_newline_in_id.csv": _rows("person_id,income_band", ['"p00\n00",0', *lines[1:]]),
        "formula_as_id.csv": _rows("person_id,income_band", [f'"{FORMULA}",0', *lines[1:]]),
        # predictions
        "nan_prediction.csv": _with("NaN"),
        "empty_prediction.csv": _with(""),
        "inf_prediction.csv": _with("inf"),
        "negative_inf_prediction.csv": _with("-inf"),
        "overflow_prediction.csv": _with("1e400"),
        "text_prediction.csv": _with("high"),
        "formula_as_prediction.csv": _with(f'"{FORMULA}"'),
        "date_prediction.csv": _with("2026-01-01"),
        "bool_prediction.csv": _with("true"),
        "float_prediction.csv": _with("0.5"),
        # file level
        "zero_bytes.csv": b"",
        "whitespace_only.csv": b"  \n\n\t\n",
        "binary_garbage.bin": bytes(range(256)) * 8,
        "high_bytes_no_nul.csv": bytes(range(128, 256)) * 8,
        "latin1_text.csv": _rows("person_id,income_band", [*lines[:-1], "Nguy\u1ec5n,1"]).replace(
            "Nguy\u1ec5n".encode(), b"Nguy\xe9n"
        ),
        "utf16_with_bom.csv": good.to_csv(index=False).encode("utf-16"),
        "ragged_rows.csv": _rows("person_id,income_band", [*lines[:5], lines[5] + ",7,8", *lines[6:]]),
        "unbalanced_quote.csv": _rows("person_id,income_band", [*lines[:5], '"p0005,1', *lines[6:]]),
        "gzip_content.csv.gz": gzip.compress(_csv(good), mtime=0),
        "zip_content.zip": b"PK\x03\x04" + b"\x00" * 60,
        # valid oddities (accepted)
        "utf8_bom.csv": b"\xef\xbb\xbf" + _csv(good),
        "crlf_newlines.csv": _rows("person_id,income_band", lines, "\r\n"),
        "mixed_newlines.csv": (
            "person_id,income_band\r\n" + "\n".join(lines[:20]) + "\r\n" + "\r\n".join(lines[20:]) + "\n"
        ).encode(),
        "quoted_newline_in_note.csv": _csv(noted),
        "formula_in_note.csv": _csv(injected),
        "shuffled_rows.csv": _csv(good.sample(frac=1.0, random_state=1)),
        # parquet
        "parquet_wrong_schema.parquet": _parquet(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})),
        "parquet_int_ids.parquet": _parquet(good.assign(person_id=range(40))),
        "parquet_text_predictions.parquet": _parquet(good.assign(income_band="high")),
        "parquet_null_prediction.parquet": _parquet(good.assign(income_band=[None, *range(39)])),
        "parquet_duplicate_ids.parquet": _parquet(good.assign(person_id=[IDS[0], *IDS[:-1]])),
        "parquet_corrupt_footer.parquet": parquet_good[:-12] + b"\x00" * 8 + b"PAR1",
        "parquet_truncated.parquet": parquet_good[: len(parquet_good) // 2],
        "parquet_magic_only.parquet": b"PAR1",
        "parquet_empty.parquet": _parquet(good.iloc[:0]),
    }


EXPECTED: dict[str, str | None] = {
    "missing_id_column.csv": "column 'person_id' is missing",
    "missing_prediction_column.csv": "column 'income_band' is missing",
    "only_id_column.csv": "column 'income_band' is missing",
    "header_only.csv": "header but no rows",
    "headerless.csv": "column 'person_id' is missing",
    "semicolon_delimited.csv": "column 'person_id' is missing",
    "tab_delimited.csv": "column 'person_id' is missing",
    "duplicate_column_names.csv": "income_band",
    "case_mismatch_columns.csv": "column 'person_id' is missing",
    "duplicate_id.csv": "duplicate ids",
    "duplicate_id_extra_row.csv": "duplicate ids",
    "missing_one_id.csv": "1 of 40 ids are missing",
    "missing_half_ids.csv": "20 of 40 ids are missing",
    "extra_id.csv": "not in this challenge",
    "all_wrong_ids.csv": "40 of 40 ids are missing",
    "empty_id.csv": "empty ids",
    "whitespace_id.csv": "empty ids",
    "quoted_newline_in_id.csv": "ids are missing",
    "formula_as_id.csv": "ids are missing",
    "nan_prediction.csv": "empty/nan values",
    "empty_prediction.csv": "empty/nan values",
    "inf_prediction.csv": "infinite values",
    "negative_inf_prediction.csv": "infinite values",
    "overflow_prediction.csv": "infinite values",
    "text_prediction.csv": "must be numeric",
    "formula_as_prediction.csv": "must be numeric",
    "date_prediction.csv": "must be numeric",
    "bool_prediction.csv": "must be numeric",
    "float_prediction.csv": "continuous numbers",
    "zero_bytes.csv": "the file is empty",
    "whitespace_only.csv": "the file is empty",
    "binary_garbage.bin": "binary data",
    "high_bytes_no_nul.csv": "not utf-8",
    "latin1_text.csv": "not utf-8",
    "utf16_with_bom.csv": "binary data",
    "ragged_rows.csv": "not a valid csv",
    "unbalanced_quote.csv": "not a valid csv",
    "gzip_content.csv.gz": "binary data",
    "zip_content.zip": "binary data",
    "utf8_bom.csv": None,
    "crlf_newlines.csv": None,
    "mixed_newlines.csv": None,
    "quoted_newline_in_note.csv": None,
    "formula_in_note.csv": None,
    "shuffled_rows.csv": None,
    "parquet_wrong_schema.parquet": "column 'person_id' is missing",
    "parquet_int_ids.parquet": "ids are missing",
    "parquet_text_predictions.parquet": "must be numeric",
    "parquet_null_prediction.parquet": "empty/nan values",
    "parquet_duplicate_ids.parquet": "duplicate ids",
    "parquet_corrupt_footer.parquet": "not a readable parquet file",
    "parquet_truncated.parquet": "not a readable parquet file",
    "parquet_magic_only.parquet": "not a readable parquet file",
    "parquet_empty.parquet": "header but no rows",
}

BIG: dict[str, str] = {
    "million_columns.csv": "the header has 1000000 columns, more than the limit of 1000",
    "sparse_2gb.csv": "binary data",
    "gzip_bomb.csv.gz": "binary data",
}
"""Entries generated at test time (name → expected error fragment)."""


def write_small(folder: Path) -> dict[str, Path]:
    """Write every small entry into ``folder``; returns name → path."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, content in entries().items():
        (folder / name).write_bytes(content)
        written[name] = folder / name
    return written


def write_big(folder: Path, name: str) -> Path:
    """Generate one big entry of :data:`BIG` into ``folder`` (seconds, not minutes).

    ``million_columns.csv``: a header of 10^6 columns and one row; ``sparse_2gb.csv``: a 2 GiB
    sparse file (``truncate``: no disk blocks); ``gzip_bomb.csv.gz``: 256 MiB of zeros gzipped (~250 kB).
    """
    path = folder / name
    if name == "million_columns.csv":
        columns = ["person_id", "income_band", *(f"c{n}" for n in range(10**6 - 2))]
        with path.open("w", encoding="utf-8") as out:
            out.write(",".join(columns) + "\n")
            out.write("p0000,0" + ",1" * (10**6 - 2) + "\n")
    elif name == "sparse_2gb.csv":
        with path.open("wb") as out:
            out.truncate(2 * 1024**3)
    elif name == "gzip_bomb.csv.gz":
        block = b"\x00" * (1024 * 1024)
        with gzip.open(path, "wb", compresslevel=9) as out:
            for _ in range(256):
                out.write(block)
    else:
        raise KeyError(name)
    return path


if __name__ == "__main__":
    if sys.argv[1:] != ["write"]:
        sys.exit("usage: python tests/corpus/generate.py write")
    for entry in sorted(write_small(HERE)):
        print(entry)
    os.sync()
