"""The sandbox command line the spawner builds: what is bound, how, as whom, with which limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from arena.settings import Settings
from hub import network_for, sandbox_argv, sandbox_for
from hub.errors import SandboxSetupError
from hub.network import firewall_ruleset
from hub.sandbox_command import SANDBOX_HOME, sandbox_env

SERVER = ["/opt/env/bin/jupyterhub-singleuser"]


def _binds(argv: list[str]) -> dict[str, tuple[str, str]]:
    """Destination → (bind kind, source) of every bwrap bind in ``argv``."""
    binds = {}
    for index, arg in enumerate(argv):
        if arg in ("--bind", "--ro-bind", "--symlink"):
            binds[argv[index + 2]] = (arg, argv[index + 1])
    return binds


@pytest.fixture
def argv(settings: Settings) -> list[str]:
    return sandbox_argv(settings, sandbox_for(settings, "alice", 7), SERVER)


def test_datasets_and_challenges_are_read_only_and_home_is_writable(settings: Settings, argv: list[str]) -> None:
    binds = _binds(argv)

    assert binds["/datasets"] == ("--ro-bind", str(settings.datasets_dir))
    assert binds["/challenges"] == ("--ro-bind", str(settings.challenges_dir))
    assert binds["/usr"] == ("--ro-bind", "/usr")
    assert binds[str(settings.sandbox_env_dir)] == ("--ro-bind", str(settings.sandbox_env_dir))
    assert binds[SANDBOX_HOME] == ("--bind", str(settings.homes_dir / "alice"))


def test_platform_secrets_are_never_bound(settings: Settings, argv: list[str]) -> None:
    sources = [source for _, source in _binds(argv).values()]
    secret = [settings.hub_dir, settings.answers_dir, settings.reference_dir, settings.submissions_dir]
    db_file = Path(settings.db_url.split(":///", 1)[1])

    for source in map(Path, sources):
        for path in [*secret, db_file]:  # neither the path, nor a folder holding it, nor a part of it
            assert source != path and source not in path.parents and path not in source.parents, source
        homes = settings.homes_dir  # only the user's own home, never the folder of all homes
        assert source != homes and source not in homes.parents, source


def test_server_runs_unprivileged_in_its_own_namespaces(settings: Settings, argv: list[str]) -> None:
    uid = settings.sandbox_uid_base + 7

    assert argv[:2] == ["nsenter", "--net=/run/netns/arena-213-7"]  # the network only: no copy of the mounts
    assert f"--reuid={uid}" in argv and f"--regid={uid}" in argv and uid != 0
    for flag in ("--clear-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"):
        assert flag in argv
    for flag in ("--unshare-user", "--unshare-pid", "--unshare-ipc", "--new-session"):
        assert flag in argv
    assert "--die-with-parent" not in argv  # a hub restart must not take the sandboxes with it
    assert argv.index("setpriv") < argv.index("bwrap") < argv.index("prlimit")
    assert argv[-1] == SERVER[0]


def test_resource_limits_come_from_settings(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, sandbox_mem_bytes=10**9, sandbox_cpu_seconds=600, _env_file=None)

    argv = sandbox_argv(settings, sandbox_for(settings, "bob", 2), SERVER)
    limits = argv[argv.index("prlimit") : argv.index("--", argv.index("prlimit"))]

    assert "--as=1000000000" in limits
    assert f"--nproc={settings.sandbox_max_processes}" in limits
    assert f"--fsize={settings.sandbox_max_file_bytes}" in limits
    assert "--cpu=600" in limits


def test_root_and_dev_are_read_only_and_every_writable_place_is_capped(settings: Settings, argv: list[str]) -> None:
    tmpfs = {argv[i + 3]: int(argv[i + 1]) for i, arg in enumerate(argv) if arg == "--size" and argv[i + 2] == "--tmpfs"}
    writable = {argv[i + 2] for i, arg in enumerate(argv) if arg == "--bind"}

    assert tmpfs == {"/tmp": settings.sandbox_tmp_bytes, "/dev/shm": settings.sandbox_shm_bytes}
    assert argv.count("--tmpfs") == len(tmpfs)  # no tmpfs without a size
    assert writable == {SANDBOX_HOME}  # the home: its disk quota (hub.home_quota)
    remounts = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--remount-ro"]
    assert remounts == ["/dev", "/"]
    last_mount = max(i for i, arg in enumerate(argv) if arg in ("--bind", "--ro-bind", "--tmpfs", "--dev", "--proc"))
    assert argv.index("--remount-ro") > last_mount  # after every mount point was made on the root


def test_in_a_cgroup_memory_and_processes_are_the_groups_not_per_process(settings: Settings) -> None:
    prefix = ["/bin/sh", "-c", "echo $$ > /sys/fs/cgroup/memory/x/cgroup.procs; exec \"$@\"", "cgroup-enter"]

    argv = sandbox_argv(settings, sandbox_for(settings, "alice", 7), SERVER, cgroup_prefix=prefix)
    limits = argv[argv.index("prlimit") : argv.index("--", argv.index("prlimit"))]

    assert argv[: len(prefix)] == prefix and argv[len(prefix)] == "nsenter"
    assert not any(flag.startswith(("--as=", "--nproc=")) for flag in limits)
    assert f"--fsize={settings.sandbox_max_file_bytes}" in limits and "--core=0" in limits


def test_sandbox_uid_never_falls_among_system_accounts(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, sandbox_uid_base=0, _env_file=None)

    with pytest.raises(SandboxSetupError, match="sandbox uid 1 of 'root' is below 1000"):
        sandbox_for(settings, "root", 1)


def test_each_user_gets_its_own_slash_30(settings: Settings) -> None:
    first, second = network_for(settings, 1), network_for(settings, 64)

    assert (first.host_ip, first.sandbox_ip) == ("10.213.0.5", "10.213.0.6")
    assert (second.host_ip, second.sandbox_ip) == ("10.213.1.1", "10.213.1.2")
    assert len(first.host_if) <= 15 and first.namespace != second.namespace
    with pytest.raises(SandboxSetupError, match="no /30 left"):
        network_for(settings, 20000)


def test_sandbox_env_points_at_the_host_end_of_its_veth(settings: Settings) -> None:
    sandbox = sandbox_for(settings, "alice", 1)

    env = sandbox_env(settings, sandbox)

    assert env["ARENA_SCORING_URL"] == f"http://10.213.0.5:{settings.scoring_port}/services/scoring"
    assert env["ARENA_DATASETS_DIR"] == "/datasets" and env["HOME"] == SANDBOX_HOME
    assert env["PATH"].startswith(f"{settings.sandbox_env_dir}/bin:")


def test_firewall_admits_only_hub_and_scoring_ports(settings: Settings) -> None:
    rules = firewall_ruleset(settings)

    assert f"tcp dport {{ {settings.hub_port}, {settings.scoring_port} }} ct state new accept" in rules
    assert rules.index("ct state new accept") < rules.index('iifname "avh213-*" drop')
    assert "table inet arena_sandboxes_213 {" in rules
