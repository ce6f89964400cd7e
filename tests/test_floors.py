"""Imports point down only: each room may import the rooms listed for it here, and nothing else of the project.

The floors (README "Architecture"): ``arena`` at the bottom; ``synthetic`` < ``challenges`` <
``scoring`` in the middle; ``hub``, ``leaderboard`` and ``cli`` on top; ``sandboxes`` apart. What
runs inside a sandbox or an enclave (``sandboxes/client``) imports nothing of the project at all.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

ALLOWED: dict[str, set[str]] = {
    "arena": set(),
    "synthetic": {"arena"},
    "challenges": {"arena", "synthetic"},
    "scoring": {"arena", "synthetic", "challenges"},
    "sandboxes": {"arena"},
    "hub": {"arena", "synthetic", "challenges", "scoring", "sandboxes"},
    "leaderboard": {"arena", "synthetic", "challenges", "scoring"},
    "cli": {"arena", "synthetic", "challenges", "scoring", "sandboxes", "hub"},
}
ROOMS = set(ALLOWED)


def _project_imports(path: Path) -> set[str]:
    """The project rooms a module imports (absolute imports only; relative ones stay in the room)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & ROOMS


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_room_imports_only_the_floors_below(room: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(_project_imports(path) - ALLOWED[room] - {room})
        for path in (ROOT / room).rglob("*.py")
    }
    assert not {path: rooms for path, rooms in wrong.items() if rooms}, f"{room} imports rooms above or beside it"


def test_code_that_runs_inside_a_sandbox_imports_nothing_of_the_project() -> None:
    client = ROOT / "sandboxes" / "client"
    wrong = {str(path.relative_to(ROOT)): sorted(_project_imports(path)) for path in client.rglob("*.py")}
    assert not {path: rooms for path, rooms in wrong.items() if rooms}
