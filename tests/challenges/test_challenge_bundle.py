"""Bad bundles are refused with a message naming the problem; good ones load."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from arena.db import Database
from challenges import DEFAULT_RUBRIC, BundleError, load_bundle, rubric_of, validate_against_store

BundleMaker = Callable[..., Path]
Answers = Callable[..., pd.DataFrame]


def test_valid_bundle_loads(make_bundle: BundleMaker) -> None:
    bundle = load_bundle(make_bundle())

    assert bundle.spec.slug == "household-income-band"
    assert bundle.spec.metrics == ["f1_macro", "accuracy"]
    assert list(bundle.read_answers().columns) == ["person_id", "income_band"]


SPEC_CASES = {
    "extra key": ({"leaderboard": "public"}, ["leaderboard", "unknown key"]),
    "unknown metric": ({"metric": {"primary": "f2_micro"}}, ["metric", "'f2_micro' is unknown"]),
    "metric unsuited to task": (
        {"metric": {"primary": "f1_macro", "secondary": ["rmse"]}},
        ["'rmse' does not suit task 'classification'"],
    ),
    "end before start": (
        {"phases": [{"name": "development", "start": "2027-01-31", "end": "2026-12-01"}]},
        ["phases.0", "end 2026-12-01 is before start 2027-01-31"],
    ),
    "overlapping phases": (
        {
            "phases": [
                {"name": "development", "start": "2026-12-01", "end": "2027-02-03"},
                {"name": "final", "start": "2027-02-01", "end": "2027-02-07"},
            ]
        },
        ["'development'", "'final'", "overlap"],
    ),
    "public_fraction zero": (
        {"split": {"public_fraction": 0, "seed": 7}},
        ["split.public_fraction", "between 0 and 1"],
    ),
    "public_fraction one": ({"split": {"public_fraction": 1.0, "seed": 7}}, ["public_fraction 1.0"]),
    "public_fraction negative": ({"split": {"public_fraction": -0.2, "seed": 7}}, ["public_fraction -0.2"]),
    "slug not url-safe": ({"slug": "Household Income!"}, ["slug", "not url-safe"]),
    "dotdot path": ({"description": "../secret.md"}, ["description", "escapes the bundle folder"]),
    "absolute path": ({"answers": "/etc/answers.parquet"}, ["answers", "absolute"]),
    "bad dataset ref": ({"datasets": ["people@latest"]}, ["'people@latest'", "name@version"]),
    "rubric name not url-safe": ({"rubric": [{"name": "Code Quality"}]}, ["rubric.0", "'Code Quality'", "url-safe"]),
    "rubric range empty": (
        {"rubric": [{"name": "insight", "min": 5, "max": 5}]},
        ["'insight'", "min 5.0 must be below"],
    ),
    "rubric names repeat": ({"rubric": [{"name": "insight"}, {"name": "insight"}]}, ["rubric criterion names repeat"]),
    "rubric empty": ({"rubric": []}, ["rubric", "at least 1 item"]),
}


@pytest.mark.parametrize(("spec", "expected"), SPEC_CASES.values(), ids=SPEC_CASES.keys())
def test_bad_spec_is_refused_naming_the_problem(make_bundle: BundleMaker, spec: dict, expected: list[str]) -> None:
    folder = make_bundle(spec)

    with pytest.raises(BundleError) as caught:
        load_bundle(folder)

    for fragment in ["challenge.yaml", *expected]:
        assert fragment in str(caught.value)


def test_rubric_is_optional_and_defaults_to_one_overall_criterion(make_bundle: BundleMaker) -> None:
    plain = load_bundle(make_bundle()).spec
    rubric = [{"name": "insight", "description": "Useful findings", "min": 1, "max": 5}, {"name": "code-quality"}]
    judged = load_bundle(make_bundle({"rubric": rubric}, name="judged")).spec

    assert [(c.name, c.min, c.max) for c in plain.criteria] == [("overall", 0, 10)]
    assert "rubric" not in plain.model_dump(mode="json")  # stored as before rubrics: republishing stays a no-op
    assert rubric_of(plain.model_dump(mode="json")) == DEFAULT_RUBRIC
    assert [(c.name, c.min, c.max) for c in judged.criteria] == [("insight", 1, 5), ("code-quality", 0, 10)]
    assert rubric_of(judged.model_dump(mode="json")) == judged.criteria


def test_missing_key_is_named(make_bundle: BundleMaker, base_spec: dict) -> None:
    folder = make_bundle()
    del base_spec["target_column"]
    (folder / "challenge.yaml").write_text(yaml.safe_dump(base_spec), encoding="utf-8")

    with pytest.raises(BundleError, match="target_column: missing required key"):
        load_bundle(folder)


@pytest.mark.parametrize("name", ["answers.parquet", "starter.ipynb", "description.md"])
def test_named_file_missing(make_bundle: BundleMaker, name: str) -> None:
    folder = make_bundle()
    (folder / name).unlink()

    with pytest.raises(BundleError, match=rf"{name}: file named by challenge\.yaml is missing"):
        load_bundle(folder)


def test_symlink_escaping_the_folder(make_bundle: BundleMaker, tmp_path: Path) -> None:
    folder = make_bundle()
    (tmp_path / "outside.md").write_text("secret")
    (folder / "description.md").unlink()
    (folder / "description.md").symlink_to(tmp_path / "outside.md")

    with pytest.raises(BundleError, match=r"description\.md: path escapes the bundle folder"):
        load_bundle(folder)


def test_answers_unreadable(make_bundle: BundleMaker) -> None:
    folder = make_bundle()
    (folder / "answers.parquet").write_bytes(b"this is not parquet")

    with pytest.raises(BundleError, match=r"answers\.parquet: cannot read answers as parquet"):
        load_bundle(folder)


def test_answers_csv_accepted(make_bundle: BundleMaker, answers_frame: Answers) -> None:
    folder = make_bundle({"answers": "answers.csv"})
    answers_frame(12).to_csv(folder / "answers.csv", index=False)

    assert len(load_bundle(folder).read_answers()) == 12


def test_duplicate_ids_name_the_row(make_bundle: BundleMaker, answers_frame: Answers) -> None:
    answers = answers_frame(10)
    answers.loc[7, "person_id"] = "p0003"

    with pytest.raises(BundleError, match=r"answers\.parquet: row 8: duplicate id 'p0003' in 'person_id'"):
        load_bundle(make_bundle(answers=answers))


@pytest.mark.parametrize(("role", "column"), [("id_column", "person_id"), ("target_column", "income_band")])
def test_answers_column_missing(make_bundle: BundleMaker, answers_frame: Answers, role: str, column: str) -> None:
    answers = answers_frame(10).drop(columns=[column])

    with pytest.raises(BundleError, match=rf"answers\.parquet: {role} '{column}' is missing"):
        load_bundle(make_bundle(answers=answers))


def test_unpublished_dataset_reference(make_bundle: BundleMaker, people_published: Database) -> None:
    bundle = load_bundle(make_bundle({"datasets": ["people@1", "people@2", "households"]}))

    with pytest.raises(BundleError, match=r"'people@2' is not published \(newest version of 'people' is 1\)"):
        validate_against_store(bundle, people_published)


def test_unknown_dataset_reference(make_bundle: BundleMaker, people_published: Database) -> None:
    bundle = load_bundle(make_bundle({"datasets": ["people", "households"]}))

    with pytest.raises(BundleError, match="'households' is not published"):
        validate_against_store(bundle, people_published)


def test_bare_name_resolves_to_latest(make_bundle: BundleMaker, people_published: Database) -> None:
    bundle = load_bundle(make_bundle({"datasets": ["people"]}))

    assert validate_against_store(bundle, people_published) == {"people": 1}


# --- zipped bundles ---------------------------------------------------------------


def _zip_folder(folder: Path, archive: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.iterdir()):
            zipped.write(path, f"{folder.name}/{path.name}")
        for name, content in (extra or {}).items():
            zipped.writestr(name, content)
    return archive


def test_zip_bundle_loads(make_bundle: BundleMaker, tmp_path: Path) -> None:
    archive = _zip_folder(make_bundle(), tmp_path / "bundle.zip")

    bundle = load_bundle(archive)

    assert bundle.spec.slug == "household-income-band"
    assert len(bundle.read_answers()) == 40


@pytest.mark.parametrize("entry", ["../evil.txt", "bundle/../../evil.txt", "/etc/evil.txt"])
def test_zip_slip_is_refused(make_bundle: BundleMaker, tmp_path: Path, entry: str) -> None:
    archive = _zip_folder(make_bundle(), tmp_path / "bundle.zip", {entry: b"pwned"})

    with pytest.raises(BundleError, match="escapes the bundle folder"):
        load_bundle(archive)
    assert not (tmp_path / "evil.txt").exists()


def test_zip_over_size_limit(make_bundle: BundleMaker, tmp_path: Path) -> None:
    archive = _zip_folder(make_bundle(), tmp_path / "bundle.zip", {"bundle/padding.bin": b"x" * 5000})

    with pytest.raises(BundleError, match="exceeds the limit 4096"):
        load_bundle(archive, max_bytes=4096)


def test_folder_over_size_limit(make_bundle: BundleMaker) -> None:
    folder = make_bundle()
    (folder / "padding.bin").write_bytes(b"x" * 5000)

    with pytest.raises(BundleError, match=r"bundle files exceed the size limit 4096 bytes \(reached at "):
        load_bundle(folder, max_bytes=4096)


def test_zip_bomb_by_ratio(make_bundle: BundleMaker, tmp_path: Path) -> None:
    archive = _zip_folder(make_bundle(), tmp_path / "bundle.zip", {"bundle/bomb.bin": b"\0" * (8 * 1024**2)})

    with pytest.raises(BundleError, match=r"bomb\.bin'.*compression ratio .* exceeds 200"):
        load_bundle(archive)


def test_not_a_zip(tmp_path: Path) -> None:
    (tmp_path / "bundle.zip").write_bytes(b"garbage")

    with pytest.raises(BundleError, match=r"bundle\.zip: not a valid zip file"):
        load_bundle(tmp_path / "bundle.zip")


def test_answers_null_id_names_row(make_bundle: BundleMaker, answers_frame: Answers) -> None:
    answers = answers_frame(5).astype({"person_id": object})
    answers.loc[2, "person_id"] = None

    with pytest.raises(BundleError, match=r"row 3: 'person_id' is empty"):
        load_bundle(make_bundle(answers=pd.DataFrame(answers)))
