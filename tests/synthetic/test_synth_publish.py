"""Publishing replicas: gate refusal, audited overrides, never-overwritten versions, store layout."""

from __future__ import annotations

import json
import stat

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from arena.models import AuditEvent, Dataset
from synthetic import GateFailedError, InputDataError, Replica, detect_metadata, publish_dataset, replicate
from synthetic.publish import checksum_tables


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_passing_replica_is_published_with_layout_checksum_and_row(db, db_settings, passing):
    tables, card = passing

    ref = publish_dataset(db, db_settings, "enterprises", tables, card, actor="alice")

    folder = db_settings.datasets_dir / "enterprises" / "1"
    assert ref == "enterprises@1"
    assert sorted(p.name for p in folder.iterdir()) == ["card.json", "card.md", "enterprises.parquet"]
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "enterprises.parquet"), tables["enterprises"])
    assert json.loads((folder / "card.json").read_text())["dataset"] == "enterprises@1"
    assert "| quality |" in (folder / "card.md").read_text()
    assert (db_settings.datasets_dir / "enterprises" / "latest").read_text().strip() == "1"
    index = json.loads((db_settings.datasets_dir / "index.json").read_text())
    assert index["datasets"][0]["rows"] == {"enterprises": 300}
    checksum = checksum_tables([folder / "enterprises.parquet"])
    assert index["datasets"][0]["checksum"] == checksum
    assert _mode(folder) == 0o755 and _mode(folder / "enterprises.parquet") == 0o644
    assert _mode(db_settings.datasets_dir / "index.json") == 0o644
    with db.session() as session:
        row = session.scalars(select(Dataset)).one()
        events = session.scalars(select(AuditEvent)).all()
    assert (row.name, row.version, row.rows, row.checksum, row.override_reason) == (
        "enterprises",
        1,
        300,
        checksum,
        None,
    )
    assert row.gates["quality"]["passed"]
    assert [(e.actor, e.action, e.object) for e in events] == [("alice", "dataset.publish", "enterprises@1")]


def test_versions_are_never_overwritten(db, db_settings, passing, enterprises_replica):
    tables, card = passing
    publish_dataset(db, db_settings, "enterprises", tables, card)
    first = (db_settings.datasets_dir / "enterprises" / "1" / "enterprises.parquet").read_bytes()

    second = publish_dataset(db, db_settings, "enterprises", enterprises_replica.sample(300, seed=2), card)

    assert second == "enterprises@2"
    assert (db_settings.datasets_dir / "enterprises" / "1" / "enterprises.parquet").read_bytes() == first
    assert (db_settings.datasets_dir / "enterprises" / "latest").read_text().strip() == "2"
    index = json.loads((db_settings.datasets_dir / "index.json").read_text())
    assert [(d["name"], d["version"]) for d in index["datasets"]] == [("enterprises", 1), ("enterprises", 2)]


def test_failing_replica_is_refused_naming_the_gates(db, db_settings, copying):
    tables, card = copying

    with pytest.raises(GateFailedError) as caught:
        publish_dataset(db, db_settings, "copied", tables, card)

    message = str(caught.value)
    assert "new_row_synthesis = 0.0" in message and "pii_overlap = 600.0" in message
    assert "quality" not in caught.value.failing
    assert not (db_settings.datasets_dir / "copied").exists()
    with db.session() as session:
        assert session.scalars(select(Dataset)).all() == []


def test_override_publishes_and_audits_the_reason(db, db_settings, copying):
    tables, card = copying

    ref = publish_dataset(
        db, db_settings, "copied", tables, card, override_reason="demo only, public data", actor="bob"
    )

    with db.session() as session:
        row = session.scalars(select(Dataset)).one()
        override = session.scalars(select(AuditEvent).where(AuditEvent.action == "dataset.gate_override")).one()
    assert ref == "copied@1" and row.override_reason == "demo only, public data"
    assert (override.actor, override.object, override.detail["reason"]) == ("bob", "copied@1", "demo only, public data")
    assert override.detail["failing"]["new_row_synthesis"] == 0.0
    assert "Override reason: demo only" in (db_settings.datasets_dir / "copied" / "1" / "card.md").read_text()


@pytest.mark.parametrize(
    ("name", "tables", "card", "message"),
    [
        ("Bad Name", {"t": pd.DataFrame({"a": [1]})}, {"gates": {"q": {"passed": True}}}, "dataset name 'Bad Name'"),
        ("ok", {}, {"gates": {"q": {"passed": True}}}, "no table"),
        ("ok", {"t": pd.DataFrame({"a": []})}, {"gates": {"q": {"passed": True}}}, "'t' has no rows"),
        ("ok", {"t": pd.DataFrame({"a": [1]})}, {}, "no gates"),
    ],
)
def test_bad_publish_inputs_are_refused(db, db_settings, name, tables, card, message):
    with pytest.raises(InputDataError, match=message):
        publish_dataset(db, db_settings, name, tables, card)


@pytest.fixture(scope="module")
def households() -> dict[str, pd.DataFrame]:
    """300 households: a small-range integer column with rare sizes (7, 8, 9 people), a region, an income."""
    rng = np.random.default_rng(0)
    sizes = rng.choice(np.arange(1, 10), size=300, p=[0.2, 0.25, 0.25, 0.15, 0.1, 0.02, 0.01, 0.01, 0.01])
    frame = pd.DataFrame(
        {
            "region": rng.choice(["north", "centre", "south"], 300),
            "household_size": sizes.astype("int64"),
            "income": rng.gamma(2.0, 3.0, 300).round(2),
        }
    )
    return {"households": frame}


def test_small_range_integers_stay_integers_through_replica_and_publishing(db, db_settings, households):
    """Regression: SDV called household_size categorical, "(other)" went into an int column, Parquet refused it."""
    metadata = detect_metadata(households)

    tables, card = replicate(households, metadata, 300, seed=1)
    ref = publish_dataset(db, db_settings, "households", tables, card, override_reason="gates are not under test")

    assert metadata.tables["households"].columns["household_size"].sdtype == "numerical"
    published = pd.read_parquet(db_settings.datasets_dir / "households" / "1" / "households.parquet")
    assert ref == "households@1"
    assert published["household_size"].dtype == "int64"
    assert published["household_size"].between(1, 9).all()
    card_text = (db_settings.datasets_dir / "households" / "1" / "card.json").read_text()
    json.loads(card_text, parse_constant=_refuse_non_json)  # NaN scores are written as null, not NaN


def _refuse_non_json(constant: str) -> None:
    raise AssertionError(f"card.json holds {constant}, which is not JSON")


def test_rare_values_of_a_categorical_integer_column_are_refused_by_name(households):
    metadata = detect_metadata(households)
    metadata.tables["households"].columns["household_size"].sdtype = "categorical"  # a reviewer's choice

    with pytest.raises(InputDataError, match=r"column 'household_size' \(int64\) is categorical with 4 rare"):
        Replica.fit(households, metadata)
