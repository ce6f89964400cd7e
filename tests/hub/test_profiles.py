"""Sandbox sizes: the spawn form and the limits each spawner gets for the chosen size."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from dockerspawner_recording import created_container, spawner_for
from jupyterhub.objects import Hub
from tornado.web import HTTPError
from traitlets.config import Config

from arena.settings import SandboxProfile, Settings
from hub import BwrapSpawner, configure, sandbox_argv, sandbox_for

GIB = 1024**3
PROFILES = {
    "small": SandboxProfile(mem_bytes=2 * GIB, cpus=1, description="notebooks"),
    "large": SandboxProfile(mem_bytes=8 * GIB, cpus=2, max_processes=512, description="<b>model</b> training"),
}


@pytest.fixture
def sized(settings: Settings) -> Settings:
    return settings.model_copy(update={"sandbox_profiles": PROFILES})


def bwrap_spawner(settings: Settings) -> BwrapSpawner:
    c = Config()
    configure(c, settings)
    user = SimpleNamespace(name="alice", escaped_name="alice", url="/user/alice/")
    return BwrapSpawner(config=c, user=user, hub=Hub(base_url="/hub/"))


def test_no_profiles_no_form(settings: Settings) -> None:
    c = Config()
    configure(c, settings)

    assert "options_form" not in c.Spawner and "apply_user_options" not in c.Spawner


def test_form_offers_each_size_with_the_first_selected(sized: Settings) -> None:
    c = Config()
    configure(c, sized)
    form = c.Spawner.options_form

    assert '<select name="profile"' in form and c.Spawner.options_from_form == "simple"
    assert '<option value="small" selected>small: 2 GiB memory, 1 CPU (notebooks)</option>' in form
    assert '<option value="large">large: 8 GiB memory, 2 CPU (&lt;b&gt;model&lt;/b&gt; training)</option>' in form


def test_bwrap_sandbox_gets_the_limits_of_the_chosen_size(sized: Settings) -> None:
    spawner = bwrap_spawner(sized)

    spawner.apply_user_options(spawner, {"profile": "large"})
    argv = sandbox_argv(spawner.limits, sandbox_for(sized, "alice", 1), ["server"])

    assert f"--as={8 * GIB}" in argv and "--nproc=512" in argv
    assert f"--fsize={sized.sandbox_max_file_bytes}" in argv


def test_the_first_size_is_the_default(sized: Settings) -> None:
    spawner = bwrap_spawner(sized)

    spawner.apply_user_options(spawner, {})

    assert spawner.limits.sandbox_mem_bytes == 2 * GIB
    assert spawner.limits.sandbox_max_processes == sized.sandbox_max_processes


def test_docker_container_gets_the_limits_of_the_chosen_size(sized: Settings) -> None:
    spawner = spawner_for(sized.model_copy(update={"spawner": "docker"}))

    spawner.apply_user_options(spawner, {"profile": "large"})
    host = created_container(spawner)["host_config"]

    assert host["Memory"] == host["MemorySwap"] == 8 * GIB
    assert host["CpuQuota"] == 200_000 and host["PidsLimit"] == 512
    assert host["CapDrop"] == ["ALL"]


def test_an_unknown_size_is_refused(sized: Settings) -> None:
    spawner = bwrap_spawner(sized)

    with pytest.raises(HTTPError, match="unknown sandbox size 'huge': choose one of small, large") as refused:
        spawner.apply_user_options(spawner, {"profile": "huge"})
    assert refused.value.status_code == 400
