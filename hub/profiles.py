"""Sandbox sizes ("profiles"): a choice in the spawn form, applied to whichever spawner runs.

``settings.sandbox_profiles`` maps a name to a :class:`arena.settings.SandboxProfile`
(memory, CPUs, processes); the first is the default. The form sends ``profile=<name>``
(the REST API takes ``{"profile": "<name>"}``); the ``apply_user_options`` hook turns the
choice into the spawner's limits: ``prlimit`` values for the bubblewrap spawner, memory,
CPU quota and pids limit for DockerSpawner. An unknown name is refused with HTTP 400.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from tornado import web

from arena.settings import Settings
from hub.docker_config import docker_host_config

__all__ = ["configure_profiles", "profile_form", "profile_hook", "sized_settings"]

GIB = 1024**3


def sized_settings(settings: Settings, user_options: dict[str, Any]) -> Settings:
    """``settings`` with the limits of the profile named in ``user_options`` (default: the first).

    Raises:
        tornado.web.HTTPError: 400 when the name is not one of ``settings.sandbox_profiles``.
    """
    profiles = settings.sandbox_profiles
    if not profiles:
        return settings
    name = user_options.get("profile") or next(iter(profiles))
    if name not in profiles:
        raise web.HTTPError(400, f"unknown sandbox size {name!r}: choose one of {', '.join(profiles)}")
    profile = profiles[name]
    return settings.model_copy(
        update={
            "sandbox_mem_bytes": profile.mem_bytes,
            "sandbox_cpu_limit": profile.cpus,
            "sandbox_max_processes": profile.max_processes or settings.sandbox_max_processes,
        }
    )


def profile_form(settings: Settings) -> str:
    """The spawn form's HTML: one choice per profile, the first selected."""
    options = []
    for index, (name, profile) in enumerate(settings.sandbox_profiles.items()):
        label = f"{name}: {profile.mem_bytes / GIB:g} GiB memory, {profile.cpus:g} CPU"
        label += f" ({profile.description})" if profile.description else ""
        selected = " selected" if index == 0 else ""
        options.append(f'<option value="{html.escape(name)}"{selected}>{html.escape(label)}</option>')
    return (
        '<label for="profile">Sandbox size</label>\n'
        '<select name="profile" id="profile" class="form-control">\n  ' + "\n  ".join(options) + "\n</select>"
    )


def profile_hook(settings: Settings) -> Callable[[Any, dict[str, Any]], None]:
    """The ``Spawner.apply_user_options`` hook applying the chosen profile's limits."""

    def apply_profile(spawner: Any, user_options: dict[str, Any]) -> None:
        sized = sized_settings(settings, user_options)
        if settings.spawner == "docker":
            spawner.mem_limit = sized.sandbox_mem_bytes
            spawner.cpu_limit = sized.sandbox_cpu_limit
            spawner.extra_host_config = docker_host_config(sized)
        else:
            spawner.limits = sized

    return apply_profile


def configure_profiles(c: Any, settings: Settings) -> None:
    """Offer ``settings.sandbox_profiles`` at spawn (nothing when there are none)."""
    if not settings.sandbox_profiles:
        return
    c.Spawner.options_form = profile_form(settings)
    c.Spawner.options_from_form = "simple"
    c.Spawner.apply_user_options = profile_hook(settings)
