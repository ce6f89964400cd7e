"""``configure_docker(c, settings)``: the production spawner, DockerSpawner, configured from settings.

Selected with ``ARENA_SPAWNER=docker`` (see ``docker-compose.yml``). Each competitor gets a
container of ``settings.sandbox_image`` on the internal network ``sandbox_docker_network``
(no egress; the hub container is reached by its name ``settings.hub_host``), with:

- the datasets and challenges volumes mounted read-only, a per-user named volume as home, into
  which the container's command first copies each open challenge's starter (``~/starters/``);
- no capabilities (``cap_drop: [ALL]``), ``no-new-privileges``, a process limit
  (``pids_limit``), a file-size limit, memory and CPU limits;
- ``remove=True``: a stopped container is deleted (the home volume stays);
- only the allowed images (the sandbox image), never pulled: the platform runs offline and the
  image is built locally (``docker compose --profile images build sandbox``).

Not done here: other containers on the same internal network are reachable from a sandbox
(Docker's inter-container traffic on a user network); a per-home disk quota needs a volume
driver or file system with quotas. (The module is not called ``docker.py``: a script run from
this folder would then shadow docker-py.)
"""

from __future__ import annotations

import asyncio
from typing import Any

from arena.settings import Settings
from hub.spawner import open_challenges

__all__ = ["SANDBOX_HOME", "STARTERS_SCRIPT", "configure_docker", "docker_command", "docker_host_config", "docker_sandbox_env"]

SANDBOX_HOME = "/home/jovyan"
STARTERS_SCRIPT = "/usr/local/share/data-arena/starters.py"
"""Where the sandbox image holds :mod:`sandboxes.starters` (see ``sandboxes/Dockerfile``)."""


def docker_command() -> list[str]:
    """The container's command: refresh ``~/starters`` (as the user, open challenges only), then the server.

    The open challenges come from ``ARENA_OPEN_CHALLENGES``, set per spawn by the pre-spawn hook;
    a failed refresh never keeps the server from starting.
    """
    seed = f'python {STARTERS_SCRIPT} --home {SANDBOX_HOME} --challenges /challenges --slugs "$ARENA_OPEN_CHALLENGES"'
    return ["sh", "-c", f"{seed} || true; exec jupyterhub-singleuser", "sandbox"]


def _open_challenges_hook(settings: Settings) -> Any:
    async def hook(spawner: Any) -> None:
        slugs = await asyncio.to_thread(open_challenges, settings)
        spawner.environment = {**spawner.environment, "ARENA_OPEN_CHALLENGES": ",".join(slugs)}

    return hook


def docker_host_config(settings: Settings) -> dict[str, Any]:
    """Extra Docker host-config options of a sandbox container (privileges and limits)."""
    fsize = settings.sandbox_max_file_bytes
    return {
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "pids_limit": settings.sandbox_max_processes,
        "ulimits": [{"name": "fsize", "soft": fsize, "hard": fsize}, {"name": "core", "soft": 0, "hard": 0}],
        "memswap_limit": settings.sandbox_mem_bytes,  # = mem_limit: no swap on top
    }


def docker_sandbox_env(settings: Settings) -> dict[str, str]:
    """The ARENA_* variables a sandbox container gets (the scoring service on the hub container)."""
    return {
        "ARENA_SCORING_URL": f"http://{settings.hub_host}:{settings.scoring_port}/services/scoring",
        "ARENA_DATASETS_DIR": "/datasets",
        "ARENA_CHALLENGES_DIR": "/challenges",
    }


def configure_docker(c: Any, settings: Settings) -> None:
    """Make ``c`` spawn sandboxes with DockerSpawner as configured in ``settings``.

    Args:
        c: the traitlets config object of ``jupyterhub_config.py``.
        settings: platform settings (``sandbox_image``, ``sandbox_docker_network``, the volume
            names, ``sandbox_mem_bytes``, ``sandbox_cpu_limit``, ``sandbox_max_processes``,
            ``sandbox_max_file_bytes``, ``hub_host``).
    """
    c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
    c.JupyterHub.hub_connect_url = f"http://{settings.hub_host}:{settings.hub_port}"
    spawner = c.DockerSpawner
    spawner.image = settings.sandbox_image
    spawner.allowed_images = [settings.sandbox_image]
    spawner.pull_policy = "never"
    spawner.prefix = "arena-sandbox"
    spawner.network_name = settings.sandbox_docker_network
    spawner.use_internal_ip = True
    spawner.remove = True
    spawner.mem_limit = settings.sandbox_mem_bytes
    spawner.cpu_limit = settings.sandbox_cpu_limit
    spawner.volumes = {settings.sandbox_home_volume: SANDBOX_HOME}
    spawner.read_only_volumes = {
        settings.sandbox_datasets_volume: "/datasets",
        settings.sandbox_challenges_volume: "/challenges",
    }
    spawner.notebook_dir = SANDBOX_HOME
    spawner.extra_host_config = docker_host_config(settings)
    spawner.environment = docker_sandbox_env(settings)
    spawner.cmd = docker_command()
    spawner.pre_spawn_hook = _open_challenges_hook(settings)
