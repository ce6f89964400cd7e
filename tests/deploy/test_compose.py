"""docker-compose.yml: valid Compose, only settings the platform knows, buildable, isolated as documented."""

from __future__ import annotations

import copy
import importlib.resources
import json
from pathlib import Path
from typing import Any

import pytest
from deploy_files import COMPOSE_DOCKERFILES, COMPOSE_FILE, interpolate, interpolated_names, walk
from jsonschema import Draft202012Validator

from arena.settings import Settings

ARENA_PREFIX = "ARENA_"
# check-jsonschema ships the Compose Specification's JSON schema (vendored, offline).
SCHEMA_PACKAGE = "check_jsonschema.builtin_schemas.vendor"


@pytest.fixture(scope="module")
def compose_validator() -> Draft202012Validator:
    """A validator for the Compose Specification schema."""
    pytest.importorskip(
        "check_jsonschema",
        reason="check-jsonschema is not installed (pip install check-jsonschema==0.39.0; it ships the schema)",
    )
    schema = json.loads(importlib.resources.files(SCHEMA_PACKAGE).joinpath("compose-spec.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping, whether written as a mapping or as ``NAME=value`` items."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {name: "" if value is None else str(value) for name, value in environment.items()}


def _set_arena_names(compose: dict[str, Any]) -> set[str]:
    """Every ``ARENA_*`` name the file sets: in services (merged) and in extension blocks / anchors."""
    names = {name for service in compose["services"].values() for name in _environment(service)}
    for node in walk(compose):
        if isinstance(node, dict):
            names.update(key for key in node if isinstance(key, str))
        elif isinstance(node, str) and "=" in node:
            names.add(node.split("=", 1)[0])
    return {name for name in names if name.startswith(ARENA_PREFIX)}


def test_compose_file_is_valid_against_the_compose_specification(compose, compose_validator):
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in compose_validator.iter_errors(compose)
    ]

    assert errors == []


def test_schema_validation_rejects_a_broken_service(compose, compose_validator):
    broken = copy.deepcopy(compose)
    broken["services"]["worker"]["restart_policy"] = "always"  # not a Compose service key
    broken["services"]["hub"]["ports"] = "8000:8000"  # must be a list

    paths = {"/".join(map(str, error.absolute_path)) for error in compose_validator.iter_errors(broken)}

    assert "services/worker" in paths
    assert "services/hub/ports" in paths


def test_every_arena_variable_is_a_settings_field(compose):
    fields = {name.upper() for name in Settings.model_fields}

    names = _set_arena_names(compose)

    assert {"ARENA_DATABASE_URL", "ARENA_DATA_DIR", "ARENA_PUBLIC_IP"} <= names
    assert {name for name in names if name.removeprefix(ARENA_PREFIX) not in fields} == set()


def test_merge_keys_give_every_project_service_the_shared_settings(compose):
    services = compose["services"]

    for name in ("migrate", "hub", "worker"):
        environment = _environment(services[name])
        assert environment["ARENA_DATA_DIR"] == "/srv/arena", name
        assert environment["ARENA_DATABASE_URL"].startswith("postgresql+psycopg://arena:"), name


@pytest.mark.parametrize("service_name", ["migrate", "hub", "worker"])
def test_each_service_environment_parses_as_settings(compose, env_example, monkeypatch, service_name):
    values = {**env_example, "POSTGRES_PASSWORD": "s3cret", "DOCKER_GID": "999"}
    for name, value in _environment(compose["services"][service_name]).items():
        monkeypatch.setenv(name, interpolate(value, values))

    settings = Settings(_env_file=None)

    assert settings.db_url == "postgresql+psycopg://arena:s3cret@postgres:5432/arena"
    assert settings.datasets_dir == Path("/srv/arena/datasets")


def test_required_secrets_fail_loudly_when_unset(compose):
    url = compose["services"]["worker"]["environment"]["ARENA_DATABASE_URL"]

    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        interpolate(url, {})


def test_every_interpolated_variable_is_listed_in_env_example(compose_text, env_example):
    assert interpolated_names(compose_text) - set(env_example) == set()


def test_every_dockerfile_named_in_compose_exists_and_every_project_dockerfile_is_built(compose):
    builds = [service["build"] for service in compose["services"].values() if "build" in service]
    named = {
        (COMPOSE_FILE.parent / build["context"] / build.get("dockerfile", "Dockerfile")).resolve() for build in builds
    }

    assert named, "compose builds no image"
    assert [path for path in named if not path.is_file()] == []
    assert named == {(COMPOSE_FILE.parent / path).resolve() for path in COMPOSE_DOCKERFILES}


def test_worker_scales_without_fixed_names_or_host_ports(compose):
    worker = compose["services"]["worker"]

    assert "container_name" not in worker
    assert "ports" not in worker


STAGE = "${ENCLAVE_STAGE_DIR:-/var/tmp/data-arena-enclave}"
WORKER_WRITABLE = {"runs:/srv/arena/runs", f"{STAGE}:{STAGE}", "/var/run/docker.sock:/var/run/docker.sock"}
"""What a worker may write: its code runs' folders, the enclave stage (same path as on the host), the engine."""


def test_scoring_side_volumes_never_reach_sandboxes_and_workers_only_read(compose):
    mounts = {name: service.get("volumes", []) for name, service in compose["services"].items()}
    sandbox_volumes = {volume.split(":", 1)[0] for volume in mounts["sandbox"]}

    assert sandbox_volumes & {"answers", "reference", "submissions", "hubstate", "pgdata"} == set()
    assert all(volume.endswith(":ro") for volume in mounts["sandbox"])
    assert {volume for volume in mounts["worker"] if not volume.endswith(":ro")} == WORKER_WRITABLE
    assert "answers:/srv/arena/answers:ro" in mounts["worker"]
    assert "datasets:/datasets:ro" in mounts["sandbox"]


def test_workers_run_code_submissions_in_docker_enclave_containers_from_the_host_stage_folder(compose):
    worker, stage = compose["services"]["worker"], compose["services"]["enclave-stage"]

    assert worker["environment"]["ARENA_ENCLAVE_RUNNER"] == "docker"
    assert worker["environment"]["ARENA_ENCLAVE_IMAGE"] == compose["services"]["sandbox"]["image"]
    assert worker["environment"]["ARENA_ENCLAVE_STAGE_DIR"] == STAGE
    assert worker["depends_on"]["enclave-stage"]["condition"] == "service_completed_successfully"
    assert stage["volumes"] == [f"{STAGE}:{STAGE}"] and stage["network_mode"] == "none"
    assert stage["command"][-1] == STAGE and stage["cap_drop"] == ["ALL"]


def test_sandboxes_and_backend_networks_have_no_egress(compose):
    networks = compose["networks"]

    assert networks["sandboxes"]["internal"] is True
    assert networks["backend"]["internal"] is True
    assert compose["services"]["sandbox"]["networks"] == ["sandboxes"]
    assert "sandboxes" not in compose["services"]["worker"]["networks"]


def test_postgres_keeps_its_data_and_reports_health(compose):
    postgres = compose["services"]["postgres"]

    assert "pgdata:/var/lib/postgresql/data" in postgres["volumes"]
    assert postgres["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}
    assert compose["services"]["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
