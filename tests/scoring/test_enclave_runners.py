"""The enclave's configuration: limits from a spec, the outcome rules, the bwrap and ``docker run`` command lines.

The command lines are checked as data (what is bound, what is shared, what is limited); the real
runs of the same command lines are in ``test_enclave_escapes.py`` (bwrap) and at the end of this
file (Docker, when an engine and the sandbox image are there).
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pandas as pd
import pytest

from arena.settings import Settings
from scoring.enclave import CodeLimits, RunOutcome, run_code
from scoring.enclave.bwrap import bwrap_argv, enclave_env
from scoring.enclave.docker_runner import docker_argv
from scoring.enclave.launcher import classify
from scoring.enclave.process import Finished
from scoring.enclave.stage import Stage

LIMITS = CodeLimits(wall_seconds=30, memory_mb=300, cpus=1.5, pids=50, output_mb=8, scratch_mb=32)


def stage(tmp_path: Path) -> Stage:
    return Stage(code=tmp_path / "code", features=tmp_path / "input" / "features.parquet", output=tmp_path / "output")


def pairs(argv: list[str], flag: str, width: int = 1) -> list[tuple[str, ...]]:
    """Every occurrence of ``flag`` with the ``width`` arguments after it."""
    return [tuple(argv[i + 1 : i + 1 + width]) for i, arg in enumerate(argv) if arg == flag]


# --------------------------------------------------------------------------- limits


def test_limits_come_from_the_spec_or_its_code_block_with_the_spec_defaults() -> None:
    spec = {"submission": "code", "code": {"wall_seconds": 30, "memory_mb": 512, "max_upload_mb": 5}}

    assert CodeLimits.from_spec(spec) == CodeLimits(wall_seconds=30, memory_mb=512)
    assert CodeLimits.from_spec(spec["code"]) == CodeLimits.from_spec(spec)
    assert CodeLimits.from_spec({"submission": "code", "code": None}) == CodeLimits()
    assert CodeLimits() == CodeLimits(600, 2048, 1.0, 256, 64, 512)


def test_a_limit_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="pids must be positive"):
        CodeLimits(pids=0)


# --------------------------------------------------------------------------- outcomes


@pytest.mark.parametrize(
    ("finished", "started", "oom", "hits", "outcome"),
    [
        (Finished(None, True, 30.0), True, 1, 1, "timeout"),
        (Finished(0, False, 1.0), True, 0, 0, "ok"),
        (Finished(10, False, 1.0), True, 0, 0, "error"),
        (Finished(11, False, 1.0), True, 0, 0, "no_output"),
        (Finished(12, False, 1.0), True, 0, 0, "invalid_output"),
        (Finished(13, False, 1.0), True, 0, 0, "platform_error"),
        (Finished(10, False, 1.0), True, 2, 5, "out_of_memory"),
        (Finished(137, False, 1.0), True, 0, 3, "out_of_memory"),
        (Finished(137, False, 1.0), True, 0, 0, "error"),
        (Finished(139, False, 1.0), True, 0, 0, "error"),
        (Finished(1, False, 0.1), False, 0, 0, "platform_error"),
        (Finished(125, False, 0.1), False, 0, 0, "platform_error"),
        (Finished(10, False, 0.1), False, 0, 0, "platform_error"),
        (Finished(3, False, 1.0), True, 0, 0, "platform_error"),
    ],
    ids=["timeout-first", "ok", "error", "no-output", "invalid", "harness-platform", "oom-counter", "sigkill-at-limit",
         "sigkill-no-pressure", "segfault", "bwrap-failed", "cgroup-join-failed", "never-started", "unknown-code"],
)
def test_outcome_rules(finished: Finished, started: bool, oom: int, hits: int, outcome: str) -> None:
    assert classify(finished, started=started, oom_kills=oom, memory_hits=hits) == RunOutcome(outcome)


def test_the_outcome_list_is_the_fixed_one() -> None:
    assert [item.value for item in RunOutcome] == [
        "ok", "timeout", "out_of_memory", "error", "no_output", "invalid_output", "platform_error",
    ]


# --------------------------------------------------------------------------- bwrap


def test_bwrap_binds_only_the_system_the_env_and_the_run(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", _env_file=None)
    argv = bwrap_argv(uid=30001, python=settings.enclave_interpreter, env_dir=settings.sandbox_env_dir, limits=LIMITS,
                      stage=stage(tmp_path), status_fd=7, id_column="id", target_column="y", prefix=["enter"])

    binds = pairs(argv, "--ro-bind", 2) + pairs(argv, "--bind", 2)
    sources = {source for source, _ in binds}
    assert ("--bind", str(tmp_path / "output"), "/output") == tuple(argv[argv.index("--bind") : argv.index("--bind") + 3])
    assert sources - {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/etc/ld.so.cache",
                      "/etc/localtime", str(settings.sandbox_env_dir), str(tmp_path / "code"),
                      str(tmp_path / "input" / "features.parquet"), str(tmp_path / "output")} == set()
    assert not any(str(settings.resolved_data_dir) in source for source in sources)
    assert pairs(argv, "--bind", 2) == [(str(tmp_path / "output"), "/output")]
    assert ("--unshare-all" in argv and "--share-net" not in argv and "--die-with-parent" in argv
            and "--new-session" in argv and "--clearenv" in argv and "--disable-userns" in argv)
    assert pairs(argv, "--size", 2) == [(str(32 * 1024**2), "--tmpfs")] * 2
    assert pairs(argv, "--remount-ro") == [("/dev",), ("/",)]
    assert argv[0] == "enter" and argv[1] == "setpriv" and "--reuid=30001" in argv and "--bounding-set=-all" in argv
    assert "prlimit" not in argv  # limits come from the cgroup


def test_bwrap_without_cgroups_falls_back_to_prlimit(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", _env_file=None)
    argv = bwrap_argv(uid=30001, python=settings.enclave_interpreter, env_dir=settings.sandbox_env_dir, limits=LIMITS,
                      stage=stage(tmp_path), status_fd=7, id_column="id", target_column="y", prefix=[])

    assert argv[0] == "setpriv"
    assert f"--as={300 * 1024**2}" in argv and "--nproc=50" in argv
    assert argv.index("prlimit") > argv.index("bwrap")


def test_the_enclave_environment_holds_no_token_or_setting() -> None:
    env = enclave_env(Path("/opt/env/bin/python"), LIMITS)

    assert env["HOME"] == env["TMPDIR"] == "/tmp" and env["PATH"].startswith("/opt/env/bin:")
    assert not any(key.startswith(("ARENA_", "JUPYTERHUB_")) or "TOKEN" in key for key in env)


# --------------------------------------------------------------------------- docker


def test_docker_run_has_no_network_no_privileges_and_every_limit(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", _env_file=None)
    argv = docker_argv(settings, name="arena-enclave-x", uid=30002, limits=LIMITS, stage=stage(tmp_path),
                       id_column="id", target_column="y")

    assert argv[:2] == ["docker", "run"]
    assert pairs(argv, "--network") == [("none",)]
    assert pairs(argv, "--cap-drop") == [("ALL",)] and pairs(argv, "--security-opt") == [("no-new-privileges",)]
    assert "--read-only" in argv and pairs(argv, "--user") == [("30002:30002",)]
    assert pairs(argv, "--memory") == pairs(argv, "--memory-swap") == [("300m",)]
    assert pairs(argv, "--pids-limit") == [("50",)] and pairs(argv, "--cpus") == [("1.5",)]
    assert pairs(argv, "--tmpfs") == [("/tmp:rw,nosuid,nodev,size=32m",)] and pairs(argv, "--shm-size") == [("32m",)]
    assert pairs(argv, "--mount") == [
        (f"type=bind,source={tmp_path / 'code'},target=/code,readonly",),
        (f"type=bind,source={tmp_path / 'input' / 'features.parquet'},target=/input/features.parquet,readonly",),
        (f"type=bind,source={tmp_path / 'output'},target=/output",),
    ]
    assert pairs(argv, "--log-driver") == [("none",)] and pairs(argv, "--pull") == [("never",)]
    assert not any("--privileged" == arg or "--cap-add" == arg or "--volume" == arg for arg in argv)
    environment = dict(item.split("=", 1) for (item,) in pairs(argv, "--env"))
    assert not any(key.startswith(("ARENA_", "JUPYTERHUB_")) for key in environment)
    image = argv.index(settings.enclave_image)
    assert argv[image + 1 : image + 4] == ["-I", "-m", "arena_client.harness"]
    assert "--smoke-test" not in argv


def _enclave_image(tmp_path: Path) -> str | None:
    """The sandbox image with this worktree's harness on top (None when Docker or the image is missing)."""
    if shutil.which("docker") is None:
        return None
    base = Settings(_env_file=None).enclave_image
    if subprocess.run(["docker", "image", "inspect", base], capture_output=True).returncode != 0:
        return None
    from sandboxes import CLIENT_DIR

    tag = f"data-arena/enclave-test:{uuid.uuid4().hex[:8]}"
    dockerfile = (
        f"FROM {base}\nUSER 0\n"
        "COPY arena_client/harness.py /tmp/harness.py\n"
        "RUN cp /tmp/harness.py \"$(python -c 'import arena_client, os; print(os.path.dirname(arena_client.__file__))')\"\n"
        "USER 1000:100\n"
    )
    built = subprocess.run(["docker", "build", "-q", "-t", tag, "-f", "-", str(CLIENT_DIR)], input=dockerfile,
                           capture_output=True, text=True, timeout=300)
    return tag if built.returncode == 0 else None


def test_the_docker_runner_runs_a_real_container(tmp_path: Path) -> None:
    image = _enclave_image(tmp_path)
    if image is None:
        pytest.skip("no Docker engine or no sandbox image (docker compose --profile images build sandbox)")
    try:
        settings = Settings(data_dir=tmp_path / "var", enclave_runner="docker", enclave_image=image,
                            enclave_uid_base=31500, enclave_stage_dir=Path("/var/tmp/data-arena-enclave"),
                            _env_file=None)
        code = tmp_path / "code"
        code.mkdir()
        (code / "main.py").write_text(
            "import os, socket, pandas as pd\n"
            "def predict(features):\n"
            "    print('interfaces', [name for _, name in socket.if_nameindex()], 'uid', os.getuid())\n"
            "    return pd.DataFrame({'id': features['id'], 'y': features['x'] + 1})\n"
        )
        pd.DataFrame({"id": [1, 2, 3], "x": [1.0, 2.0, 3.0]}).to_parquet(tmp_path / "features.parquet")

        result = run_code(settings, code_dir=code, features=tmp_path / "features.parquet", id_column="id",
                          target_column="y", limits=LIMITS, run_dir=tmp_path / "run")

        assert result.outcome is RunOutcome.ok, result.log_path.read_text()
        assert pd.read_csv(result.predictions)["y"].tolist() == [2.0, 3.0, 4.0]
        assert "interfaces ['lo'] uid 31500" in result.log_path.read_text()
    finally:
        subprocess.run(["docker", "image", "rm", "--force", image], capture_output=True)
