"""Each way a submission file can be wrong gives a SubmissionError naming the problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring import SubmissionError
from scoring.validation import align_submission, read_submission

SPEC = {
    "task": "classification",
    "id_column": "person_id",
    "target_column": "label",
    "metric": {"primary": "accuracy", "secondary": []},
}
ANSWERS = pd.DataFrame(
    {"person_id": [f"p{i}" for i in range(8)], "label": [0, 1] * 4, "split": ["public", "private"] * 4}
)


def _check(tmp_path: Path, content: str | bytes, spec: dict = SPEC) -> pd.DataFrame:
    path = tmp_path / "submission.csv"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return align_submission(read_submission(path, "person_id"), ANSWERS, spec)


def _csv(rows: list[tuple[str, str]], header: str = "person_id,label") -> str:
    return "\n".join([header, *(f"{a},{b}" for a, b in rows)]) + "\n"


GOOD = [(f"p{i}", str(i % 2)) for i in range(8)]


def test_good_csv_lines_up_with_answers(tmp_path: Path) -> None:
    aligned = _check(tmp_path, _csv(list(reversed(GOOD))))
    assert list(aligned.index) == list(ANSWERS["person_id"])
    assert (aligned["y_pred"].to_numpy() == ANSWERS["label"].to_numpy()).all()


def test_good_parquet_is_read(tmp_path: Path) -> None:
    path = tmp_path / "submission.parquet"
    pd.DataFrame({"person_id": ANSWERS["person_id"], "label": ANSWERS["label"]}).to_parquet(path)
    aligned = align_submission(read_submission(path, "person_id"), ANSWERS, SPEC)
    assert aligned["y_pred"].tolist() == ANSWERS["label"].tolist()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "submission.csv: the file is empty"),
        ("   \n\n", "the file is empty"),
        ("person_id,label\n", "has a header but no rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary data, not a CSV or Parquet file"),
        (b"person_id,label\np0,\xff\xfe1\n", r"not UTF-8 text \(undecodable byte 0xff on line 2, offset 19\)"),
        (b"PAR1garbagePAR1", "not a readable Parquet file"),
        (_csv(GOOD, header="id,label"), "column 'person_id' is missing; the file has columns: id, label"),
        (_csv(GOOD, header="person_id,target"), "column 'label' is missing"),
        (_csv([*GOOD, ("p3", "1")]), r"1 duplicate ids \(first repeat at row 9\), e.g. 'p3'"),
        (_csv(GOOD[:5]), r"3 of 8 ids are missing from column 'person_id', e.g. 'p5', 'p6', 'p7'"),
        (
            _csv([*GOOD, ("zz1", "0"), ("zz2", "1")]),
            "2 ids in column 'person_id' are not in this challenge, e.g. 'zz1'",
        ),
        (
            _csv([*GOOD[:2], ("p2", ""), *GOOD[3:]]),
            r"column 'label' has 1 empty/NaN values, first at row 3 \(id 'p2'\)",
        ),
        (
            _csv([*GOOD[:7], ("p7", "yes")]),
            "column 'label' must be numeric for this challenge; 1 values are not, first at row 8: 'yes'",
        ),
        (
            _csv([*GOOD[:1], ("p1", "inf"), *GOOD[2:]]),
            r"column 'label' has 1 infinite values, first at row 2 \(id 'p1'\)",
        ),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, content: str | bytes, message: str) -> None:
    with pytest.raises(SubmissionError, match=message):
        _check(tmp_path, content)


def test_probability_metric_requires_numbers(tmp_path: Path) -> None:
    spec = {**SPEC, "metric": {"primary": "roc_auc", "secondary": []}}
    rows = [(pid, "high") if pid == "p4" else (pid, "0.5") for pid, _ in GOOD]
    with pytest.raises(SubmissionError, match="first at row 5: 'high'"):
        _check(tmp_path, _csv(rows), spec)


def test_string_labels_compare_as_text(tmp_path: Path) -> None:
    answers = ANSWERS.assign(label=np.where(ANSWERS["label"] == 1, "yes", "no"))
    path = tmp_path / "s.csv"
    path.write_text(_csv([(pid, "yes") for pid, _ in GOOD]))
    aligned = align_submission(read_submission(path, "person_id"), answers, SPEC)
    assert (aligned["y_pred"] == "yes").all() and set(aligned["y_true"]) == {"yes", "no"}


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_column_cap_is_checked_on_the_header(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"wide{suffix}"
    frame = pd.DataFrame({"person_id": ANSWERS["person_id"], "label": ANSWERS["label"], "a": 1, "b": 2})
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path, index=False)
    with pytest.raises(SubmissionError, match=r"the header has 4 columns, more than the limit of 3"):
        read_submission(path, "person_id", max_columns=3)
    assert len(read_submission(path, "person_id", max_columns=4).columns) == 4


def test_repeated_columns_are_named(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match=r"repeated column names in the header: 'label'"):
        _check(tmp_path, _csv([(f"{a},{b}", b) for a, b in GOOD], header="person_id,label,label"))


def test_parser_errors_are_one_line_without_the_stored_path(tmp_path: Path) -> None:
    path = tmp_path / "stored" / "0123abcd"
    path.parent.mkdir()
    good = pd.DataFrame({"person_id": ANSWERS["person_id"], "label": ANSWERS["label"]})
    good.to_parquet(path, index=False)
    path.write_bytes(path.read_bytes()[:-12] + b"\x00" * 8 + b"PAR1")
    with pytest.raises(SubmissionError) as refused:
        read_submission(path, "person_id")
    assert "\n" not in str(refused.value) and str(tmp_path) not in str(refused.value)
    assert str(refused.value).startswith("0123abcd: not a readable Parquet file (")
