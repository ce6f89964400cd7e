"""The production spawner: what DockerSpawner, configured by ``hub.docker_config``, would ask Docker for.

No Docker engine here: the calls DockerSpawner would send are recorded
(``dockerspawner_recording``), everything before them is the real DockerSpawner and docker-py.
"""

from __future__ import annotations

import asyncio

import pytest
from dockerspawner_recording import created_container, spawner_for
from tornado.web import HTTPError
from traitlets.config import Config

from arena.db import Database
from arena.models import Challenge, ChallengeState
from arena.settings import Settings
from hub import configure


@pytest.fixture
def docker_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"spawner": "docker", "sandbox_cpu_limit": 1.5})


def test_docker_setting_selects_dockerspawner_and_the_hub_container(docker_settings: Settings) -> None:
    c = Config()
    configure(c, docker_settings)

    assert c.JupyterHub.spawner_class == "dockerspawner.DockerSpawner"
    assert c.JupyterHub.hub_connect_url == f"http://hub:{docker_settings.hub_port}"
    assert c.JupyterHub.hub_bind_url == f"http://0.0.0.0:{docker_settings.hub_port}"
    assert c.DockerSpawner.pull_policy == "never" and c.DockerSpawner.remove is True


def test_bwrap_stays_the_default(settings: Settings) -> None:
    c = Config()
    configure(c, settings)

    assert settings.spawner == "bwrap" and c.JupyterHub.spawner_class.__name__ == "BwrapSpawner"
    assert "DockerSpawner" not in c


def test_container_is_unprivileged_limited_and_on_the_internal_network(docker_settings: Settings) -> None:
    host = created_container(spawner_for(docker_settings))["host_config"]

    assert host["NetworkMode"] == "data-arena-sandboxes"
    assert host["CapDrop"] == ["ALL"] and host["SecurityOpt"] == ["no-new-privileges"]
    assert host.get("Privileged") in (None, False) and "CapAdd" not in host
    assert host["PidsLimit"] == docker_settings.sandbox_max_processes
    assert host["Memory"] == host["MemorySwap"] == docker_settings.sandbox_mem_bytes
    assert host["CpuQuota"] == 150_000 and host["CpuPeriod"] == 100_000
    fsize = docker_settings.sandbox_max_file_bytes
    assert {"Name": "fsize", "Soft": fsize, "Hard": fsize} in host["Ulimits"]
    assert host["AutoRemove"] is True
    assert "PortBindings" not in host  # reached on the internal network only, nothing published


def test_datasets_and_challenges_are_read_only_and_each_home_is_its_own_volume(docker_settings: Settings) -> None:
    alice = created_container(spawner_for(docker_settings, "alice"))
    bob = created_container(spawner_for(docker_settings, "bob"))

    assert alice["host_config"]["Binds"] == [
        "data-arena-home-alice:/home/jovyan:rw",
        "data-arena-datasets:/datasets:ro",
        "data-arena-challenges:/challenges:ro",
    ]
    assert "data-arena-home-bob:/home/jovyan:rw" in bob["host_config"]["Binds"]
    assert not any("answers" in bind or "hub" in bind.split(":")[0] for bind in alice["host_config"]["Binds"])
    assert alice["image"] == "data-arena/sandbox:0.1.0" and alice["name"] == "arena-sandbox-alice"


def test_container_env_points_at_the_hub_container(docker_settings: Settings) -> None:
    env = created_container(spawner_for(docker_settings))["environment"]

    assert env["ARENA_SCORING_URL"] == f"http://hub:{docker_settings.scoring_port}/services/scoring"
    assert env["JUPYTERHUB_API_URL"] == f"http://hub:{docker_settings.hub_port}/hub/api"
    assert env["ARENA_DATASETS_DIR"] == "/datasets" and env["JUPYTERHUB_API_TOKEN"] == "secret"
    assert not any(key in env for key in ("ARENA_DATABASE_URL", "ARENA_DATA_DIR"))


def test_only_the_sandbox_image_may_be_started(docker_settings: Settings) -> None:
    spawner = spawner_for(docker_settings)

    assert asyncio.run(spawner.check_allowed("data-arena/sandbox:0.1.0")) == "data-arena/sandbox:0.1.0"
    with pytest.raises(HTTPError, match="not in allowed list"):
        asyncio.run(spawner.check_allowed("attacker/privileged:latest"))



def test_container_refreshes_the_open_challenges_starters_before_the_server(db: Database, db_settings: Settings) -> None:
    with db.session() as session:
        session.add(Challenge(slug="open-one", title="Open", spec={}, answers_digest="0" * 64))
        session.add(Challenge(slug="done", title="Done", spec={}, answers_digest="0" * 64, state=ChallengeState.closed))
    spawner = spawner_for(db_settings.model_copy(update={"spawner": "docker"}))

    asyncio.run(spawner.pre_spawn_hook(spawner))
    container = created_container(spawner)

    assert container["environment"]["ARENA_OPEN_CHALLENGES"] == "open-one"
    command = " ".join(container["command"])
    assert "starters.py --home /home/jovyan --challenges /challenges" in command
    assert command.endswith("exec jupyterhub-singleuser sandbox")
