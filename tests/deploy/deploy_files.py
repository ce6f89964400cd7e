"""Reading the deployment files statically: Dockerfile instructions, compose interpolation, YAML walking.

Nothing here needs a Docker engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "COMPOSE_DOCKERFILES",
    "COMPOSE_FILE",
    "ENV_EXAMPLE",
    "PROJECT_DOCKERFILES",
    "REPO_ROOT",
    "Instruction",
    "interpolate",
    "interpolated_names",
    "parse_dockerfile",
    "walk",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
COMPOSE_DOCKERFILES = ("hub/Dockerfile", "scoring/Dockerfile", "sandboxes/Dockerfile")
"""The images docker-compose.yml builds."""
PROJECT_DOCKERFILES = (*COMPOSE_DOCKERFILES, "hub/k8s/Dockerfile")
"""Every Dockerfile of the repository (the Kubernetes hub image is built on the compose hub image)."""

_INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, continuation lines joined."""

    keyword: str
    arguments: str
    line: int


def parse_dockerfile(path: Path) -> list[Instruction]:
    """The instructions of a Dockerfile, in order (comments dropped, ``\\`` continuations joined).

    Args:
        path: the Dockerfile.
    """
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not pending:
            start = number
        pending.append(line.removesuffix("\\").strip())
        if line.endswith("\\"):
            continue
        keyword, _, arguments = " ".join(pending).partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip(), start))
        pending = []
    return instructions


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose-style ``${NAME}``, ``${NAME:-default}``, ``${NAME:?error}`` substitution.

    Args:
        text: a value from the compose file.
        env: the variables (as a ``.env`` file would give them).

    Raises:
        KeyError: a required variable (``:?``) is unset or empty.
    """

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"] or "", match["arg"] or ""
        value = env.get(name)
        if op in (":?", "?") and not value:
            raise KeyError(f"{name}: {arg}")
        if op in (":-", "-") and not value:
            return arg
        return value or ""

    return _INTERPOLATION.sub(substitute, text)


def interpolated_names(text: str) -> set[str]:
    """Names of the variables a compose file interpolates."""
    return {match["name"] for match in _INTERPOLATION.finditer(text)}


def walk(node: Any) -> Iterator[Any]:
    """Every mapping, list and scalar below ``node`` (depth first)."""
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from walk(child)
