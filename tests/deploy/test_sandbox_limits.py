"""A sandbox gets the same memory, process and CPU limits however it runs: a bubblewrap sandbox's
cgroup, a compose (DockerSpawner) container, a Kubernetes singleuser pod."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_files import REPO_ROOT

from arena.settings import Settings
from hub.docker_config import docker_host_config
from hub.sandbox_cgroup import sandbox_cgroup_limits

_K8S_UNITS = {"": 1, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "K": 1000, "M": 1000**2, "G": 1000**3}


def _k8s_bytes(quantity: str | int) -> int:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]i?)?", str(quantity)).groups()  # type: ignore[union-attr]
    return int(float(number) * _K8S_UNITS[unit or ""])


@pytest.fixture(scope="module")
def compose_settings(compose: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The hub's settings as docker-compose.yml gives them (the sandbox limits are literal values there)."""
    env = compose["services"]["hub"]["environment"]
    limits = {key.removeprefix("ARENA_").lower(): value for key, value in env.items()
              if key in ("ARENA_SANDBOX_MEM_BYTES", "ARENA_SANDBOX_MAX_PROCESSES", "ARENA_SANDBOX_CPU_LIMIT")}
    assert len(limits) == 3, "docker-compose.yml names the sandbox limits of the hub"
    return Settings(_env_file=None, data_dir=Path(tmp_path_factory.mktemp("compose")), **limits)


def test_compose_bubblewrap_and_kubernetes_sandboxes_have_the_same_limits(compose_settings: Settings) -> None:
    defaults = Settings(_env_file=None)
    cgroup = sandbox_cgroup_limits(defaults)
    host = docker_host_config(compose_settings)
    singleuser = yaml.safe_load((REPO_ROOT / "hub" / "k8s" / "values.yaml").read_text())["singleuser"]

    assert cgroup.memory_bytes == compose_settings.sandbox_mem_bytes == host["memswap_limit"]
    assert cgroup.memory_bytes == _k8s_bytes(singleuser["memory"]["limit"])
    assert cgroup.pids == compose_settings.sandbox_max_processes == host["pids_limit"]
    assert cgroup.cpu_max == compose_settings.sandbox_cpu_limit == float(singleuser["cpu"]["limit"])


def test_kubernetes_quantities_are_read_as_kubernetes_reads_them() -> None:
    assert _k8s_bytes("2Gi") == 2 * 1024**3 and _k8s_bytes("2G") == 2 * 10**9 and _k8s_bytes(512) == 512
