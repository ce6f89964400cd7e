"""Replicas: real GaussianCopula fits, PII regeneration, determinism, save/load and the gates."""

from __future__ import annotations

import pandas as pd
import pytest

from synthetic import (
    GateThresholds,
    InputDataError,
    Replica,
    SyntheticError,
    detect_metadata,
    evaluate_replica,
    render_card_markdown,
    replicate,
    split_holdout,
)
from synthetic.vietnam import FAMILY_NAMES, RARE_FAMILY_NAMES


def test_a_real_replica_passes_every_gate(passing):
    tables, card = passing

    assert card["passed"], card["gates"]
    assert card["gates"]["diagnostic"]["value"] == 1.0
    assert card["gates"]["quality"]["value"] >= 0.8
    assert card["gates"]["new_row_synthesis"]["value"] >= 0.99
    assert card["gates"]["pii_overlap"]["value"] == 0
    assert len(tables["enterprises"]) == 300
    assert set(card["tables"]["enterprises"]["column_quality"]) >= {"vsic_section", "employees", "revenue_vnd"}


def test_pii_is_regenerated_in_the_right_formats(passing, enterprises_source):
    replica = passing[0]["enterprises"]
    source = enterprises_source["enterprises"]

    assert list(replica.columns) == list(source.columns)
    assert replica["tax_code"].str.fullmatch(r"\d{10}").all()
    assert replica["enterprise_id"].is_unique and not replica["enterprise_id"].isin(source["enterprise_id"]).any()
    assert replica["name"].str.startswith("Công ty").all()
    assert not replica["tax_code"].isin(source["tax_code"]).any()


def test_same_seed_same_rows_and_save_load_round_trip(enterprises_replica, tmp_path):
    first = enterprises_replica.sample(50, seed=3)["enterprises"]
    again = enterprises_replica.sample(50, seed=3)["enterprises"]
    other = enterprises_replica.sample(50, seed=4)["enterprises"]
    loaded = Replica.load(enterprises_replica.save(tmp_path / "replica.pkl"))

    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    pd.testing.assert_frame_equal(loaded.sample(50, seed=3)["enterprises"], first)


def test_people_replica_regenerates_consistent_names_and_cccd(reference):
    people = reference["people"].head(300).reset_index(drop=True)
    metadata = detect_metadata({"people": people})

    replica = Replica.fit({"people": people}, metadata).sample(200, seed=2)["people"]

    year = pd.to_datetime(replica["birth_date"]).dt.year
    digit = (year // 100 - 19) * 2 + (replica["sex"] == "F").astype(int)
    assert replica["cccd"].str.fullmatch(r"\d{12}").all()
    assert (replica["cccd"].str[3].astype(int) == digit).all()
    assert (replica["cccd"].str[4:6].astype(int) == year % 100).all()
    family = {f[0] for f in FAMILY_NAMES} | {f[1] for f in FAMILY_NAMES} | set(RARE_FAMILY_NAMES)
    assert replica["full_name"].str.split().str[0].isin(family).all()
    assert (replica.loc[replica["sex"] == "M", "full_name"].str.split().str[1] != "Thị").all()
    assert replica["phone"].dropna().str.fullmatch(r"0\d{9}").all()
    assert not replica["cccd"].isin(people["cccd"]).any()


def test_a_copy_of_the_source_fails_new_rows_and_pii_overlap(copying):
    card = copying[1]

    assert not card["passed"]
    assert not card["gates"]["new_row_synthesis"]["passed"] and card["gates"]["new_row_synthesis"]["value"] == 0
    assert (
        not card["gates"]["pii_overlap"]["passed"] and card["gates"]["pii_overlap"]["value"] == 600
    )  # ids + tax codes
    assert card["tables"]["enterprises"]["pii_overlap"]["tax_code"] == 300


def test_rare_categories_are_merged_before_fitting_and_never_sampled(enterprises_source, enterprises_metadata):
    source = enterprises_source["enterprises"]
    rare = source["vsic_section"].value_counts()
    rare_values = set(rare[rare < 10].index)
    assert rare_values, "the fixture should hold rare VSIC sections"

    replica = Replica.fit(enterprises_source, enterprises_metadata).sample(400, seed=9)["enterprises"]

    assert not replica["vsic_section"].isin(rare_values).any()
    assert (replica["vsic_section"] == "(other)").any()
    card = evaluate_replica(enterprises_source, {"enterprises": source}, enterprises_metadata)
    assert card["tables"]["enterprises"]["rare_category_leaks"]["vsic_section"] == rare[rare < 10].sum()
    assert not card["gates"]["rare_category_leaks"]["passed"]


def test_thresholds_are_configurable(enterprises_source, enterprises_metadata, passing):
    strict = GateThresholds(quality_min=0.999)

    card = evaluate_replica(enterprises_source, passing[0], enterprises_metadata, thresholds=strict)

    assert not card["gates"]["quality"]["passed"] and card["thresholds"]["quality_min"] == 0.999
    assert card["gates"]["diagnostic"]["passed"]


def test_bad_fit_inputs_name_the_table_and_column(enterprises_source, enterprises_metadata):
    frame = enterprises_source["enterprises"]
    duplicated = pd.concat([frame, frame.head(1)], ignore_index=True)
    all_null = frame.assign(employees=None)

    with pytest.raises(InputDataError, match="exactly one table"):
        Replica.fit({"a": frame, "b": frame}, enterprises_metadata)
    with pytest.raises(InputDataError, match="'enterprise_id' is not unique"):
        Replica.fit({"enterprises": duplicated}, enterprises_metadata)
    with pytest.raises(InputDataError, match="column 'employees' is entirely null"):
        Replica.fit({"enterprises": all_null}, enterprises_metadata)
    with pytest.raises(InputDataError, match="undescribed"):
        Replica.fit({"enterprises": frame.assign(extra=1)}, enterprises_metadata)
    with pytest.raises(InputDataError, match="not described in the metadata"):
        Replica.fit({"firms": frame}, enterprises_metadata)


def test_loading_something_else_than_a_replica_fails_clearly(tmp_path):
    path = tmp_path / "replica.pkl"
    path.write_bytes(b"not a pickle")

    with pytest.raises(SyntheticError, match="cannot load replica"):
        Replica.load(path)


def test_holdout_gates_distance_to_closest_record(enterprises_source, enterprises_metadata):
    train, holdout = split_holdout(enterprises_source, enterprises_metadata, 0.25, seed=4)

    _, card = replicate(enterprises_source, enterprises_metadata, 200, seed=4, holdout_fraction=0.25)
    copied = evaluate_replica(train, train, enterprises_metadata, holdout=holdout)

    dcr = card["tables"]["enterprises"]["distance_to_closest_record"]
    assert dcr["holdout_rows"] == 75 and card["tables"]["enterprises"]["source_rows"] == 225
    assert dcr["training_rows_compared"] == 225 and dcr["closer_to_training_expected"] == 0.75
    assert 0 < dcr["score"] <= 1 and dcr["closer_to_training"] < 1.0  # sampled rows, not copies
    # A copy fails although the training rows outnumber the held-out ones three to one.
    assert copied["tables"]["enterprises"]["distance_to_closest_record"]["closer_to_training"] == 1.0
    gate = copied["gates"]["dcr_overfitting_protection"]
    assert not gate["passed"] and gate["value"] == 0.0 and gate["threshold"] == 0.25
    strict = evaluate_replica(
        train, train, enterprises_metadata, holdout=holdout, thresholds=GateThresholds(dcr_overfitting_protection_min=0)
    )
    assert strict["gates"]["dcr_overfitting_protection"]["passed"]
    assert "held-out rows" in render_card_markdown(card) and "(by chance: 75%)" in render_card_markdown(card)
    with pytest.raises(InputDataError, match="holdout_fraction"):
        replicate(enterprises_source, enterprises_metadata, 10, seed=1, holdout_fraction=0.7)
