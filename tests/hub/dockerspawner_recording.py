"""A DockerSpawner that records its calls to the Docker engine instead of sending them (no engine here).

The real DockerSpawner builds its requests with the real docker-py client (which needs no
engine for that); only the last step, the call to the engine, is recorded. The user and
the hub are stand-ins, as in JupyterHub's own spawner tests.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import docker
from dockerspawner import DockerSpawner
from jupyterhub.objects import Hub
from traitlets.config import Config

from arena.settings import Settings
from hub import configure

__all__ = ["EngineRecordingSpawner", "created_container", "spawner_for"]

IMAGE_CONFIG = {"Config": {"Cmd": ["jupyterhub-singleuser"], "Entrypoint": None}}


class EngineRecordingSpawner(DockerSpawner):
    """DockerSpawner whose calls to the Docker engine are recorded, not sent."""

    _client = docker.APIClient(version="1.45", base_url="unix:///nonexistent/docker.sock")

    async def docker(self, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.engine_calls.append((method, args, kwargs))
        return {"Id": "c0ffee", **IMAGE_CONFIG}


def spawner_for(settings: Settings, name: str = "alice", **traits: Any) -> EngineRecordingSpawner:
    """A DockerSpawner for user ``name`` built from the platform's JupyterHub config."""
    c = Config()
    configure(c, settings)
    hub = Hub(base_url="/hub/")
    hub.connect_url = f"{c.JupyterHub.hub_connect_url}/hub/"
    user = SimpleNamespace(name=name, escaped_name=name, url=f"/user/{name}/")
    spawner = EngineRecordingSpawner(config=c, user=user, hub=hub, api_token="secret", **traits)
    spawner.engine_calls = []
    return spawner


def created_container(spawner: EngineRecordingSpawner) -> dict[str, Any]:
    """The keyword arguments of the ``create_container`` call the spawner makes."""
    asyncio.run(spawner.create_object())
    return next(kwargs for method, _, kwargs in spawner.engine_calls if method == "create_container")
