"""Fixtures: the compose file (YAML, anchors and merge keys resolved), its text and ``.env.example``."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from deploy_files import COMPOSE_FILE, ENV_EXAMPLE


@pytest.fixture(scope="session")
def compose_text() -> str:
    """The compose file as written."""
    return COMPOSE_FILE.read_text()


@pytest.fixture(scope="session")
def compose(compose_text: str) -> dict[str, Any]:
    """The compose file as data (YAML anchors and ``<<`` merge keys resolved by the loader)."""
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="session")
def env_example() -> dict[str, str]:
    """The variables ``.env.example`` lists (name -> example value)."""
    pairs = (line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines() if "=" in line)
    return {name.strip(): value.strip() for name, value in pairs if not name.lstrip().startswith("#")}
