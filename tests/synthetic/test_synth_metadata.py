"""Metadata detection, review rules and the reviewable YAML round trip."""

from __future__ import annotations

import pandas as pd
import pytest

from synthetic import InputDataError, detect_metadata, read_metadata_yaml, write_metadata_yaml


@pytest.fixture
def people_sample(reference) -> pd.DataFrame:
    people = reference["people"].head(300).copy()
    people["province"] = people["commune_code"].map(reference["communes"].set_index("commune_code")["province_code"])
    return people


def test_review_flags_identifiers_and_keeps_low_cardinality_text_categorical(people_sample):
    columns = detect_metadata({"people": people_sample}).tables["people"].columns

    assert (columns["person_id"].key, columns["person_id"].pii) == ("primary", True)
    assert (columns["cccd"].pii, columns["cccd"].pii_kind) == (True, "cccd")
    assert (columns["full_name"].pii, columns["full_name"].pii_kind) == (True, "name")
    assert (columns["phone"].pii, columns["phone"].pii_kind) == (True, "phone")
    assert columns["household_id"].pii and columns["employer_id"].pii
    for name in ("province", "commune_code", "sex", "education", "occupation"):
        assert (columns[name].sdtype, columns[name].pii) == ("categorical", False), name
    assert columns["monthly_income_vnd"].sdtype == "numerical"
    assert columns["birth_date"].sdtype == "datetime"


def test_enterprise_tax_codes_and_names_are_pii(reference):
    columns = detect_metadata({"enterprises": reference["enterprises"].head(200)}).tables["enterprises"].columns

    assert (columns["tax_code"].pii, columns["tax_code"].pii_kind) == (True, "tax_code")
    assert (columns["name"].pii, columns["name"].pii_kind) == (True, "company")
    assert (columns["vsic_section"].sdtype, columns["vsic_section"].pii) == ("categorical", False)


def test_yaml_round_trip_and_reviewed_edits_are_read_back(people_sample, tmp_path):
    metadata = detect_metadata({"people": people_sample})
    path = write_metadata_yaml(metadata, tmp_path / "metadata.yaml")

    assert read_metadata_yaml(path) == metadata
    text = path.read_text(encoding="utf-8")
    assert "pii_kind: cccd" in text and text.startswith("# Reviewed metadata")
    edited = text.replace(
        "      province:\n        sdtype: categorical\n        pii: false",
        "      province:\n        sdtype: categorical\n        pii: true\n        pii_kind: text",
    )
    path.write_text(edited, encoding="utf-8")
    assert read_metadata_yaml(path).tables["people"].columns["province"].pii


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("tables: [oops", "not valid YAML"),
        ("tables:\n  t:\n    columns:\n      a: {sdtype: 3, pii: maybe}\n", "tables.t.columns.a"),
    ],
)
def test_bad_metadata_files_name_file_and_place(tmp_path, content, message):
    path = tmp_path / "metadata.yaml"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(InputDataError, match=message) as caught:
        read_metadata_yaml(path)
    assert str(path) in str(caught.value)


def test_missing_metadata_file_and_empty_table_are_refused(tmp_path):
    with pytest.raises(InputDataError, match="cannot read metadata file"):
        read_metadata_yaml(tmp_path / "absent.yaml")
    with pytest.raises(InputDataError, match="'people' has no rows"):
        detect_metadata({"people": pd.DataFrame({"a": []})})
