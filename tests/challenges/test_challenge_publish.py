"""Publishing: fixed answer split, files and permissions, rows, republish rules, close."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from arena.db import Database
from arena.errors import NotFoundError
from arena.models import AuditEvent, ChallengeState
from arena.settings import Settings
from challenges import (
    BundleError,
    ChallengeError,
    answers_path,
    assign_split,
    close_challenge,
    list_challenges,
    load_bundle,
    public_dir,
    publish_challenge,
)

BundleMaker = Callable[..., Path]


def test_split_is_deterministic_and_order_free() -> None:
    ids = pd.Series([f"p{i:04d}" for i in range(1000)])

    first = assign_split(ids, 0.3, seed=7)
    again = assign_split(ids, 0.3, seed=7)
    shuffled_ids = ids.sample(frac=1, random_state=1)
    reordered = assign_split(shuffled_ids, 0.3, seed=7)
    other_seed = assign_split(ids, 0.3, seed=8)

    assert first.tolist() == again.tolist()
    assert (first == "public").sum() == 300
    assert dict(zip(ids, first, strict=True)) == dict(zip(shuffled_ids, reordered, strict=True))
    assert first.tolist() != other_seed.tolist()


def test_split_follows_the_documented_rule() -> None:
    ids = pd.Series(["c", "a", "d", "b", "e"])

    split = assign_split(ids, 0.4, seed=5)

    public_sorted = sorted(ids)
    expected = {public_sorted[i] for i in np.random.default_rng(5).permutation(5)[:2]}
    assert set(ids[split == "public"]) == expected


def test_split_refuses_an_empty_board() -> None:
    with pytest.raises(BundleError, match=r"2 answer rows with public_fraction 0\.1 give 0 public and 2 private rows"):
        assign_split(pd.Series(["a", "b"]), 0.1, seed=1)


def test_publish_list_close_round_trip(
    make_bundle: BundleMaker, people_published: Database, db_settings: Settings
) -> None:
    bundle = load_bundle(make_bundle())

    slug = publish_challenge(people_published, db_settings, bundle, actor="organiser1")
    listed = list_challenges(people_published)
    closed = close_challenge(people_published, slug, actor="organiser1")

    answers = pd.read_parquet(answers_path(db_settings, slug))
    assert slug == "household-income-band"
    assert list(answers.columns) == ["person_id", "income_band", "split"]
    assert set(answers["split"]) == {"public", "private"}
    assert (answers["split"] == "public").sum() == 12
    assert stat.S_IMODE(answers_path(db_settings, slug).parent.stat().st_mode) == 0o700
    public = public_dir(db_settings, slug)
    spec_json = json.loads((public / "challenge.json").read_text())
    assert "answers" not in spec_json and spec_json["slug"] == slug
    assert sorted(p.name for p in public.iterdir()) == ["challenge.json", "description.md", "starter.ipynb"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in public.iterdir())
    [row] = listed
    assert (row.slug, row.version, row.state) == (slug, 1, ChallengeState.published)
    assert row.spec == bundle.spec.model_dump(mode="json")
    assert row.answers_digest == bundle.answers_digest()
    assert [(p.name, p.starts_at.isoformat(), p.ends_at.isoformat()) for p in row.phases] == [
        ("development", "2026-12-01T00:00:00+00:00", "2027-02-01T00:00:00+00:00"),
        ("final", "2027-02-01T00:00:00+00:00", "2027-02-08T00:00:00+00:00"),
    ]
    assert closed.state == ChallengeState.closed and closed.closed_at is not None
    with people_published.session() as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["challenge.publish", "challenge.close"]


def test_same_bundle_twice_is_a_no_op(
    make_bundle: BundleMaker, people_published: Database, db_settings: Settings
) -> None:
    bundle = load_bundle(make_bundle())

    publish_challenge(people_published, db_settings, bundle)
    publish_challenge(people_published, db_settings, bundle)

    [row] = list_challenges(people_published)
    assert row.version == 1


def test_slug_clash_needs_explicit_republish(
    make_bundle: BundleMaker, people_published: Database, db_settings: Settings
) -> None:
    publish_challenge(people_published, db_settings, load_bundle(make_bundle()))
    changed = load_bundle(make_bundle({"title": "Income band, take two"}, name="second"))

    with pytest.raises(ChallengeError, match=r"slug 'household-income-band' is already published \(version 1\)"):
        publish_challenge(people_published, db_settings, changed)
    publish_challenge(people_published, db_settings, changed, republish=True)

    [row] = list_challenges(people_published)
    assert (row.version, row.title, len(row.phases)) == (2, "Income band, take two", 2)


def test_publish_refuses_unpublished_dataset(
    make_bundle: BundleMaker, people_published: Database, db_settings: Settings
) -> None:
    bundle = load_bundle(make_bundle({"datasets": ["people@1", "households@1"]}))

    with pytest.raises(ChallengeError, match="'households@1' is not published"):
        publish_challenge(people_published, db_settings, bundle)

    assert list_challenges(people_published) == []
    assert not answers_path(db_settings, bundle.spec.slug).exists()


def test_close_unknown_and_twice(make_bundle: BundleMaker, people_published: Database, db_settings: Settings) -> None:
    slug = publish_challenge(people_published, db_settings, load_bundle(make_bundle()))
    close_challenge(people_published, slug)

    with pytest.raises(ChallengeError, match="already closed"):
        close_challenge(people_published, slug)
    with pytest.raises(NotFoundError, match="'nope' does not exist"):
        close_challenge(people_published, "nope")


def test_a_bundle_without_a_starter_notebook_gets_one_generated_from_its_spec(
    make_bundle: BundleMaker, people_published: Database, db_settings: Settings
) -> None:
    import nbformat

    folder = make_bundle(spec={"starter_notebook": None})
    bundle = load_bundle(folder)

    slug = publish_challenge(people_published, db_settings, bundle, actor="organiser1")

    assert not (folder / "starter.ipynb").exists() and bundle.spec.starter_notebook is None
    notebook = nbformat.reads((public_dir(db_settings, slug) / "starter.ipynb").read_text(), as_version=4)
    nbformat.validate(notebook)
    source = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert "from arena_client import load, submit" in source and "['people@1']" in source
    assert "def baseline_predict(" in source and 'submit(predictions, challenge="household-income-band")' in source
    compile(source, "starter", "exec")
