"""Idle culling (jupyterhub-idle-culler as a hub service) and named servers, from settings."""

from __future__ import annotations

import subprocess

from traitlets.config import Config

from arena.settings import Settings
from hub import configure
from hub.culling import CULLER_SCOPES


def configured(settings: Settings, **changes: object) -> Config:
    c = Config()
    configure(c, settings.model_copy(update=changes))
    return c


def test_idle_culler_runs_as_a_service_with_only_the_scopes_it_needs(settings: Settings) -> None:
    c = configured(settings, sandbox_idle_seconds=3600)
    services = {service["name"]: service for service in c.JupyterHub.services}
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}

    command = services["idle-culler"]["command"]
    assert command[1:] == ["-m", "jupyterhub_idle_culler", "--timeout=3600", "--cull-every=300"]
    assert roles["idle-culler"] == {"name": "idle-culler", "scopes": CULLER_SCOPES, "services": ["idle-culler"]}
    assert "admin:users" not in CULLER_SCOPES and "delete:servers" in CULLER_SCOPES


def test_short_idle_timeouts_are_checked_more_often(settings: Settings) -> None:
    c = configured(settings, sandbox_idle_seconds=20)

    command = next(s["command"] for s in c.JupyterHub.services if s["name"] == "idle-culler")

    assert command[-2:] == ["--timeout=20", "--cull-every=10"]


def test_culling_is_off_at_zero(settings: Settings) -> None:
    c = configured(settings, sandbox_idle_seconds=0)

    assert "idle-culler" not in {service["name"] for service in c.JupyterHub.services}
    assert "idle-culler" not in {role["name"] for role in c.JupyterHub.load_roles}


def test_the_culler_command_runs(settings: Settings) -> None:
    command = next(s["command"] for s in configured(settings, sandbox_idle_seconds=60).JupyterHub.services
                   if s["name"] == "idle-culler")

    result = subprocess.run([command[0], *command[1:3], "--help"], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0 and "--timeout" in result.stdout


def test_named_servers_one_per_challenge_with_docker(settings: Settings) -> None:
    c = configured(settings, spawner="docker", sandbox_named_servers=3)

    assert c.JupyterHub.allow_named_servers is True and c.JupyterHub.named_server_limit_per_user == 3


def test_named_servers_are_off_by_default(settings: Settings) -> None:
    assert "allow_named_servers" not in configured(settings).JupyterHub


def test_named_servers_with_bubblewrap(settings: Settings) -> None:
    c = configured(settings, sandbox_named_servers=2)

    assert c.JupyterHub.spawner_class.__name__ == "BwrapSpawner"
    assert c.JupyterHub.allow_named_servers is True and c.JupyterHub.named_server_limit_per_user == 2
