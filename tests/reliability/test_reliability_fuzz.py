"""Fuzz the submission parser: whatever the bytes, it accepts them or raises SubmissionError, nothing else."""

from __future__ import annotations

import atexit
import io
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes
from reliability_kit import corpus

from challenges import assign_split
from scoring.compute import compute_scores, metric_names
from scoring.errors import SubmissionError
from scoring.validation import align_submission, read_submission

SPEC = {
    "task": "classification",
    "id_column": "person_id",
    "target_column": "income_band",
    "metric": {"primary": "f1_macro", "secondary": ["accuracy"]},
}
ANSWERS = corpus.good_frame().assign(split=lambda a: assign_split(a["person_id"], 0.3, 7))
FOLDER = Path(tempfile.mkdtemp(prefix="arena-fuzz-"))
atexit.register(shutil.rmtree, FOLDER, True)
EXAMPLES = {"bytes": 1000, "csv": 1500, "near_valid": 1000, "frames": 800}
"""Cases per strategy: 4300 in all."""


def fuzz(kind: str) -> settings:
    return settings(
        max_examples=EXAMPLES[kind],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )


def outcome(content: bytes, name: str = "fuzz.csv") -> str:
    """'accepted' or 'refused'; any exception other than SubmissionError propagates (the test fails)."""
    path = FOLDER / name
    path.write_bytes(content)
    try:
        aligned = align_submission(read_submission(path, "person_id"), ANSWERS, SPEC)
        compute_scores(aligned, metric_names(SPEC), ("public", "private", "all"))
    except SubmissionError as error:
        assert str(error).strip(), "an empty error message"
        return "refused"
    return "accepted"


def duplicate_header(content: bytes) -> bool:
    """Whether pyarrow reads a header with a repeated column name (the known bug, tested on its own)."""
    try:
        names = pacsv.read_csv(io.BytesIO(content)).column_names
    except (pa.ArrowException, UnicodeDecodeError):
        return False
    return len(set(names)) != len(names)


@fuzz("bytes")
@given(st.binary(max_size=512) | st.binary(max_size=64).map(lambda b: b"PAR1" + b + b"PAR1"))
def test_random_bytes(content: bytes) -> None:
    outcome(content)


_CELL = st.one_of(
    st.sampled_from(corpus.IDS),
    st.integers(-5, 5).map(str),
    st.floats(allow_nan=True).map(str),
    st.sampled_from(["", " ", "NaN", "inf", "null", "=1+1", corpus.FORMULA, '"', '""', "a,b", "\r", "\ufeff"]),
    st.text(max_size=8),
)
_HEADERS = st.lists(
    st.sampled_from(["person_id", "income_band", "note", "x", ""]) | st.text(max_size=5),
    min_size=1,
    max_size=4,
    unique=True,
)


@st.composite
def csv_text(draw: st.DrawFn) -> bytes:
    header = draw(_HEADERS)
    rows = draw(st.lists(st.lists(_CELL, min_size=len(header) - 1, max_size=len(header) + 1), max_size=45))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(",".join(row) for row in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


@fuzz("csv")
@given(csv_text())
def test_random_csv_text(content: bytes) -> None:
    assume(not duplicate_header(content))
    outcome(content)


@settings(max_examples=50, deadline=None, database=None, derandomize=True)
@given(st.lists(st.sampled_from(["person_id", "income_band", "x"]), min_size=2, max_size=4))
def test_duplicate_header_names_are_refused_clearly(header: list[str]) -> None:
    assume(len(set(header)) < len(header))
    rows = [",".join([corpus.IDS[n], str(n % 4), "1", "1"][: len(header)]) for n in range(40)]
    outcome("\n".join([",".join(header), *rows]).encode())


@st.composite
def near_valid_csv(draw: st.DrawFn) -> bytes:
    """The valid submission with a few cells replaced (ids and predictions), rows dropped or repeated."""
    frame = corpus.good_frame().astype(object)
    for _ in range(draw(st.integers(0, 4))):
        frame.iloc[draw(st.integers(0, 39)), draw(st.integers(0, 1))] = draw(_CELL)
    order = draw(st.lists(st.integers(0, 39), min_size=38, max_size=42))
    return frame.iloc[order].to_csv(index=False).encode()


@fuzz("near_valid")
@given(near_valid_csv())
def test_near_valid_csv(content: bytes) -> None:
    outcome(content)


_FRAMES = data_frames(
    columns=[
        column("person_id", elements=st.sampled_from([*corpus.IDS, "p9999", ""]) | st.integers(0, 50)),
        column(
            "income_band",
            elements=st.one_of(st.integers(-2, 5), st.floats(), st.text(max_size=3), st.none(), st.booleans()),
        ),
    ],
    index=range_indexes(max_size=45),
)


@fuzz("frames")
@given(_FRAMES, st.sampled_from(["csv", "parquet"]))
def test_random_dataframes(frame: pd.DataFrame, fmt: str) -> None:
    buffer = io.BytesIO()
    try:
        if fmt == "parquet":
            frame.to_parquet(buffer, index=False)
        else:
            frame.to_csv(buffer, index=False)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):  # mixed-type object columns: write text
        frame = frame.astype(str)
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False) if fmt == "parquet" else frame.to_csv(buffer, index=False)
    outcome(buffer.getvalue(), f"fuzz.{fmt}")


def test_valid_submission_is_accepted_by_the_fuzz_oracle() -> None:
    assert outcome(corpus.good_frame().to_csv(index=False).encode()) == "accepted"
    assert outcome(np.zeros(8, dtype=np.uint8).tobytes()) == "refused"
