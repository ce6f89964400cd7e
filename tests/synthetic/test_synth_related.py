"""Related tables (households + people) replicated with HMA: keys, integrity, per-table gates, holdout."""

from __future__ import annotations

import pandas as pd
import pytest

from synthetic import InputDataError, RelatedReplica, detect_metadata, evaluate_replica, replicate, split_holdout
from synthetic.related import foreign_key_orphans

HOUSEHOLDS = 60
HOLDOUT = 0.25


@pytest.fixture(scope="module")
def family_tables(reference: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """60 households and their people (a few hundred rows)."""
    households = reference["households"].head(HOUSEHOLDS).reset_index(drop=True)
    people = reference["people"][reference["people"]["household_id"].isin(households["household_id"])]
    return {"households": households, "people": people.reset_index(drop=True)}


@pytest.fixture(scope="module")
def related(family_tables):
    """(replica tables, card) of an HMA replica sampled at the source's size, a quarter of the households held out."""
    return replicate(family_tables, detect_metadata(family_tables), HOUSEHOLDS, seed=3, holdout_fraction=HOLDOUT)


def test_hma_replica_keeps_every_foreign_key_and_gates_each_table(related, family_tables):
    tables, card = related
    households, people = tables["households"], tables["people"]

    assert len(households) == HOUSEHOLDS and len(people) > HOUSEHOLDS
    assert households["household_id"].is_unique and people["person_id"].is_unique
    assert people["household_id"].isin(households["household_id"]).all()
    assert foreign_key_orphans(tables, detect_metadata(family_tables).relationships) == {"people.household_id": 0}
    assert card["gates"]["foreign_key_orphans"] == {"value": 0.0, "threshold": 0, "op": "<=", "passed": True}
    assert set(card["tables"]) == {"households", "people"}
    assert card["tables"]["people"]["pii_overlap"]["cccd"] == 0
    assert not households["household_id"].isin(family_tables["households"]["household_id"]).any()
    assert list(people.columns) == list(family_tables["people"].columns)
    assert card["generator"]["synthesizer"] == "HMASynthesizer" and card["generator"]["root_table"] == "households"


def test_a_child_column_that_repeats_its_parents_is_copied_from_the_sampled_parent(related):
    tables, card = related
    home = tables["people"].merge(tables["households"], on="household_id", suffixes=("", "_household"))

    assert card["generator"]["copied_from_parent"] == {"people": {"commune_code": "households.commune_code"}}
    assert len(home) == len(tables["people"])
    assert (home["commune_code"] == home["commune_code_household"]).all()  # everyone lives in their household's commune


def test_orphans_in_a_replica_fail_the_gate_and_in_a_source_are_refused(related, family_tables):
    metadata = detect_metadata(family_tables)
    broken = {**related[0], "people": related[0]["people"].assign(household_id="HS-nowhere")}
    bad_source = {**family_tables, "people": family_tables["people"].assign(household_id="H-nowhere")}

    card = evaluate_replica(family_tables, broken, metadata)

    assert not card["gates"]["foreign_key_orphans"]["passed"]
    assert card["foreign_key_orphans"]["people.household_id"] == len(broken["people"])
    with pytest.raises(InputDataError, match=r"foreign key people.household_id: \d+ value\(s\) have no parent row"):
        RelatedReplica.fit(bad_source, metadata)
    with pytest.raises(InputDataError, match="2 to 5 tables"):
        RelatedReplica.fit({f"t{i}": family_tables["people"] for i in range(6)}, metadata)


def test_held_out_households_take_their_people_and_a_copy_fails_the_distance_gate(related, family_tables):
    metadata = detect_metadata(family_tables)
    train, holdout = split_holdout(family_tables, metadata, HOLDOUT, seed=3)
    _, card = related

    assert len(holdout["households"]) == HOUSEHOLDS * HOLDOUT
    assert holdout["people"]["household_id"].isin(holdout["households"]["household_id"]).all()
    assert train["people"]["household_id"].isin(train["households"]["household_id"]).all()
    assert len(train["people"]) + len(holdout["people"]) == len(family_tables["people"])
    assert card["tables"]["people"]["source_rows"] == len(train["people"])
    for table in ("households", "people"):
        assert card["tables"][table]["distance_to_closest_record"]["holdout_rows"] == len(holdout[table])
    assert card["generator"]["holdout_fraction"] == HOLDOUT
    assert card["gates"]["dcr_overfitting_protection"]["passed"], card["gates"]["dcr_overfitting_protection"]

    copied = evaluate_replica(train, train, metadata, holdout=holdout)  # a "replica" that copies its source

    gate = copied["gates"]["dcr_overfitting_protection"]
    assert not gate["passed"] and gate["value"] == 0.0
    assert copied["tables"]["people"]["distance_to_closest_record"]["closer_to_training"] == 1.0
    with pytest.raises(InputDataError, match=r"holdout_fraction must be within \[0, 0.5\) \(got 0.5\)"):
        split_holdout(family_tables, metadata, 0.5, seed=3)
    (link,) = metadata.relationships
    backwards = link.model_copy(
        update={"parent_table": "people", "parent_primary_key": "person_id", "child_table": "households"}
    )
    cyclic = metadata.model_copy(update={"relationships": [link, backwards]})
    with pytest.raises(InputDataError, match=r"relationships between tables \['households', 'people'\] form a cycle"):
        split_holdout(family_tables, cyclic, HOLDOUT, seed=3)
