"""The demo's datasets store (what every sandbox mounts) holds gated synthetic replicas only: card kind and rows.

``seed_demo`` builds the three example challenges as ``arena demo`` does (real reference data,
replicas, code-mode test sets); then every version folder of the store is checked against the
real rows it stands for: its card says synthetic replica and its gates passed (or were overridden
with a reason on the card), it has the rows its card says, no id in it is a real id, and no more
of its rows copy a real row than the card's new-row-synthesis score admits.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from arena.settings import Settings
from challenges.example_kit import _split_held_out
from challenges.examples import EXAMPLES
from challenges.held_out import check_datasets_store
from hub.demo import DEMO_CHALLENGES, seed_demo

PEOPLE = 1000


def _real_rows(settings: Settings, slug: str, seed: int) -> dict[str, pd.DataFrame]:
    """The real rows each dataset of an example stands for: the training rows, the held-out test features."""
    folder = settings.reference_dir / f"{slug}-{seed}"
    recipe = EXAMPLES[slug]
    train, _ = _split_held_out(recipe.features({path.stem: path for path in folder.glob("*.parquet")}), seed)
    held_out = pd.read_parquet(settings.answers_dir / slug / "test_features.parquet")
    return {recipe.train_dataset: train, recipe.test_dataset: held_out}


def _copied_share(replica: pd.DataFrame, real: pd.DataFrame, id_column: str) -> float:
    columns = [column for column in replica.columns if column != id_column and column in real.columns]
    real_keys = set(real[columns].astype(str).itertuples(index=False, name=None))
    copies = sum(row in real_keys for row in replica[columns].astype(str).itertuples(index=False, name=None))
    return copies / len(replica)


ECHOED: list[str] = []


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("demo"), _env_file=None)
    seed_demo(settings, people=PEOPLE, echo=ECHOED.append)
    return settings


def test_the_demo_prints_each_training_replicas_utility_and_attack_risks(demo: Settings) -> None:
    for slug in DEMO_CHALLENGES:
        name = EXAMPLES[slug].train_dataset
        card = json.loads((demo.datasets_dir / name / "1" / "card.json").read_text())
        risks = card["tables"][name]["privacy_risks"]
        line = next(line for line in ECHOED if line.strip().startswith(f"{name}@1: "))
        assert card["passed"] and line.strip().startswith(f"{name}@1: gates passed · {name}: quality "), line
        assert f"train-on-synthetic/test-on-real ratio {card['tables'][name]['utility']['ratio']:.2f}" in line
        assert f"attack risks singling out {risks['singling_out']['risk']:.2f}, linkability " in line


def test_every_table_in_the_demo_store_is_a_gated_synthetic_replica(demo: Settings) -> None:
    store, checked = demo.datasets_dir, []
    real = {recipe.train_dataset: slug for slug, recipe in EXAMPLES.items()}
    real |= {recipe.test_dataset: slug for slug, recipe in EXAMPLES.items()}
    for folder in sorted(path for path in store.glob("*/*") if path.is_dir()):
        card = json.loads((folder / "card.json").read_text())
        slug = real[folder.parent.name]
        recipe, sources = EXAMPLES[slug], _real_rows(demo, slug, demo.demo_seed)
        real_ids = set(pd.concat(sources.values())[recipe.id_column].astype(str))
        rows = sources[folder.parent.name]
        assert card["kind"] == "synthetic_replica", folder
        assert card["passed"] or card["override_reason"], folder
        for table in folder.glob("*.parquet"):
            replica = pd.read_parquet(table)
            assert len(replica) == card["tables"][table.stem]["synthetic_rows"]
            assert not set(replica[recipe.id_column].astype(str)) & real_ids, folder
            allowed = 1 - card["gates"]["new_row_synthesis"]["value"] + 1e-5  # the card rounds to 6 digits
            assert _copied_share(replica, rows, recipe.id_column) <= allowed, folder
        checked.append(folder.parent.name)
    assert sorted(checked) == sorted(real) and len(DEMO_CHALLENGES) == 3
    assert check_datasets_store(demo).ok


def test_a_second_seed_changes_nothing(demo: Settings) -> None:
    before = sorted(str(path.relative_to(demo.datasets_dir)) for path in demo.datasets_dir.rglob("*"))

    seed_demo(demo, people=PEOPLE, echo=lambda _line: None)

    assert sorted(str(path.relative_to(demo.datasets_dir)) for path in demo.datasets_dir.rglob("*")) == before
    assert Path(demo.answers_dir / "product-demand" / "test_features.parquet").stat().st_mode & 0o777 == 0o600
