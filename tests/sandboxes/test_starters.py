"""Each open challenge's starter lands in the home as the competitor's copy, refreshed without losing edits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandboxes import seed_starters
from sandboxes.starters import STARTERS_FOLDER


def _publish(challenges: Path, slug: str, notebook: str, description: str = "# About") -> None:
    folder = challenges / slug
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "starter.ipynb").write_text(notebook)
    (folder / "description.md").write_text(description)
    (folder / "challenge.json").write_text(json.dumps({"slug": slug}))


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    home, challenges = tmp_path / "home", tmp_path / "challenges"
    home.mkdir()
    challenges.mkdir()
    return home, challenges


def test_first_spawn_copies_starter_and_description_of_open_challenges_only(dirs: tuple[Path, Path]) -> None:
    home, challenges = dirs
    _publish(challenges, "income", "v1", "# Income band")
    _publish(challenges, "closed-one", "old")

    written = seed_starters(home, challenges, ["income"], owner=(os.getuid(), os.getgid()))

    folder = home / STARTERS_FOLDER / "income"
    assert written == [folder / "starter.ipynb", folder / "README.md"]
    assert (folder / "starter.ipynb").read_text() == "v1" and (folder / "README.md").read_text() == "# Income band"
    assert (folder / "starter.ipynb").stat().st_mode & 0o777 == 0o600
    assert not (home / STARTERS_FOLDER / "closed-one").exists()
    assert seed_starters(home, challenges, ["income"]) == []  # nothing new: nothing touched


def test_new_version_replaces_an_unedited_copy_and_lands_beside_an_edited_one(dirs: tuple[Path, Path]) -> None:
    home, challenges = dirs
    _publish(challenges, "income", "v1", "# d1")
    seed_starters(home, challenges)
    folder = home / STARTERS_FOLDER / "income"
    (folder / "starter.ipynb").write_text("v1 with my edits")

    _publish(challenges, "income", "v2", "# d2")
    written = seed_starters(home, challenges)

    assert (folder / "starter.ipynb").read_text() == "v1 with my edits"
    beside = [path for path in written if path.name.startswith("starter.")]
    assert len(beside) == 1 and beside[0].name != "starter.ipynb" and beside[0].read_text() == "v2"
    assert (folder / "README.md").read_text() == "# d2"  # unedited: refreshed in place
    assert seed_starters(home, challenges) == []


def test_a_deleted_copy_stays_deleted_until_a_new_version(dirs: tuple[Path, Path]) -> None:
    home, challenges = dirs
    _publish(challenges, "income", "v1")
    seed_starters(home, challenges)
    (home / STARTERS_FOLDER / "income" / "starter.ipynb").unlink()

    assert seed_starters(home, challenges) == []
    _publish(challenges, "income", "v2")
    assert (home / STARTERS_FOLDER / "income" / "starter.ipynb") in seed_starters(home, challenges)


def test_planted_symlinks_are_never_written_through(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    home, challenges = dirs
    _publish(challenges, "income", "v1")
    victim_dir = tmp_path / "victim"
    victim_dir.mkdir()
    (home / STARTERS_FOLDER).symlink_to(victim_dir)

    assert seed_starters(home, challenges) == []
    assert list(victim_dir.iterdir()) == []

    (home / STARTERS_FOLDER).unlink()
    (home / STARTERS_FOLDER / "income").mkdir(parents=True)
    (home / STARTERS_FOLDER / "income" / "starter.ipynb").symlink_to(tmp_path / "victim" / "target")
    seed_starters(home, challenges)
    assert not (tmp_path / "victim" / "target").exists()


def test_runs_as_a_script_for_the_docker_image(dirs: tuple[Path, Path]) -> None:
    home, challenges = dirs
    _publish(challenges, "income", "v1")
    script = Path(__file__).parents[2] / "sandboxes" / "starters.py"

    result = subprocess.run(
        [sys.executable, "-I", str(script), "--home", str(home), "--challenges", str(challenges), "--slugs", "income"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip

    assert "starters/income/starter.ipynb" in result.stdout
    assert (home / STARTERS_FOLDER / "income" / "starter.ipynb").read_text() == "v1"
