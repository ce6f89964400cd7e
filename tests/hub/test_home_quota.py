"""Per-home disk quota: real sparse ext4 images, really loop-mounted (needs root and loop devices)."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from jupyterhub.objects import Hub

from arena.health import check_home_quota, loop_quota_missing
from arena.settings import Settings
from hub import BwrapSpawner, SandboxSetupError, sandbox_for
from hub.home_quota import home_image, home_mounts, release_homes, unmount_home
from hub.sandbox_command import Sandbox
from hub.spawner import prepare_sandbox_files

pytestmark = pytest.mark.skipif(loop_quota_missing() is not None, reason=str(loop_quota_missing()))

QUOTA_MB = 16


@pytest.fixture
def quota_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings with 16 MiB homes; every home still mounted at the end is unmounted."""
    settings = Settings(data_dir=tmp_path / "var", sandbox_disk_quota_mb=QUOTA_MB, _env_file=None)
    yield settings
    release_homes(settings)


def _loop_devices(settings: Settings) -> list[str]:
    listing = subprocess.run(["losetup", "--list", "--noheadings", "-O", "BACK-FILE"], capture_output=True, text=True)
    return [line for line in listing.stdout.splitlines() if str(settings.homes_dir) in line]


def _prepare(settings: Settings, sandbox: Sandbox) -> None:
    prepare_sandbox_files(settings, sandbox, quota=True)


def test_a_new_home_is_a_private_sparse_image_mounted_for_the_sandbox_uid(quota_settings: Settings) -> None:
    sandbox = sandbox_for(quota_settings, "alice", 3)

    _prepare(quota_settings, sandbox)

    image = home_image(quota_settings, "alice").stat()
    home, fs = sandbox.home.stat(), os.statvfs(sandbox.home)
    assert (image.st_uid, image.st_mode & 0o777, image.st_size) == (0, 0o600, QUOTA_MB * 1024**2)
    assert image.st_blocks * 512 < image.st_size / 2  # sparse: only what the file system wrote
    assert home_mounts(quota_settings) == [sandbox.home] and len(_loop_devices(quota_settings)) == 1
    assert (home.st_uid, home.st_gid, home.st_mode & 0o777) == (sandbox.uid, sandbox.gid, 0o700)
    assert sorted(path.name for path in sandbox.home.iterdir()) == ["welcome.ipynb"]  # no lost+found
    assert 0.7 * QUOTA_MB * 1024**2 < fs.f_blocks * fs.f_frsize <= QUOTA_MB * 1024**2


def test_files_survive_unmount_and_the_loop_device_is_released(quota_settings: Settings) -> None:
    sandbox = sandbox_for(quota_settings, "alice", 3)
    _prepare(quota_settings, sandbox)
    (sandbox.home / "model.txt").write_text("trained")

    assert unmount_home(sandbox.home) is True
    unmounted = (home_mounts(quota_settings), _loop_devices(quota_settings), list(sandbox.home.iterdir()))
    _prepare(quota_settings, sandbox)  # the next spawn

    assert unmounted == ([], [], [])
    assert (sandbox.home / "model.txt").read_text() == "trained"
    assert unmount_home(sandbox.home) is True and unmount_home(sandbox.home) is True  # twice is fine


def test_a_plain_home_with_content_is_moved_into_its_image_once(quota_settings: Settings) -> None:
    sandbox = sandbox_for(quota_settings, "bob", 4)
    notes = sandbox.home / "work" / "notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("bob's notes")
    (sandbox.home / "link").symlink_to("work/notes.txt")
    for path in (sandbox.home, notes.parent, notes):
        os.chown(path, sandbox.uid, sandbox.gid)

    _prepare(quota_settings, sandbox)

    moved = sandbox.home / "work" / "notes.txt"
    assert os.path.ismount(sandbox.home) and moved.read_text() == "bob's notes"
    assert moved.stat().st_uid == sandbox.uid and os.readlink(sandbox.home / "link") == "work/notes.txt"
    unmount_home(sandbox.home)
    assert list(sandbox.home.iterdir()) == []  # the plain copy is gone: the image holds it


def test_a_plain_home_bigger_than_the_quota_is_refused_and_left_alone(quota_settings: Settings) -> None:
    sandbox = sandbox_for(quota_settings, "carol", 5)
    sandbox.home.mkdir(parents=True)
    (sandbox.home / "big.bin").write_bytes(os.urandom((QUOTA_MB + 4) * 1024**2))

    with pytest.raises(SandboxSetupError, match=f"into a {QUOTA_MB} MiB image: .*ARENA_SANDBOX_DISK_QUOTA_MB"):
        _prepare(quota_settings, sandbox)

    assert (sandbox.home / "big.bin").stat().st_size == (QUOTA_MB + 4) * 1024**2
    assert not home_image(quota_settings, "carol").exists() and list(quota_settings.homes_dir.glob("*.img*")) == []
    assert home_mounts(quota_settings) == [] and _loop_devices(quota_settings) == []


def test_release_homes_unmounts_every_home_a_hub_left_mounted(quota_settings: Settings) -> None:
    for number, name in enumerate(("dan", "eve"), start=6):
        _prepare(quota_settings, sandbox_for(quota_settings, name, number))

    released = release_homes(quota_settings)

    assert sorted(path.name for path in released) == ["dan", "eve"]
    assert home_mounts(quota_settings) == [] and _loop_devices(quota_settings) == []


def test_without_loop_devices_the_spawner_warns_and_keeps_plain_homes(
    quota_settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    spawner = BwrapSpawner(user=SimpleNamespace(name="alice", url="/user/alice/"), hub=Hub(base_url="/hub/"))
    monkeypatch.setattr("hub.spawner.loop_quota_missing", lambda: "/dev/loop-control is missing")

    with caplog.at_level(logging.WARNING):
        loop = spawner._home_quota(quota_settings)
    chosen_none = spawner._home_quota(quota_settings.model_copy(update={"sandbox_home_quota": "none"}))

    assert loop is False and chosen_none is False
    assert "The home of alice has NO disk quota: /dev/loop-control is missing" in caplog.text


def test_doctor_reports_the_home_quota(quota_settings: Settings) -> None:
    loop = check_home_quota(quota_settings)
    none = check_home_quota(quota_settings.model_copy(update={"sandbox_home_quota": "none"}))
    docker = check_home_quota(quota_settings.model_copy(update={"spawner": "docker"}))

    assert loop.ok and f"{QUOTA_MB} MiB ext4 image" in loop.message
    assert none.ok and "no disk cap" in none.message
    assert docker.ok and "not needed" in docker.message


def test_doctor_fails_when_loop_mounts_are_impossible(
    quota_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    reason = "the hub does not run as root (loop mounts need root)"
    monkeypatch.setattr("arena.health.loop_quota_missing", lambda: reason)

    result = check_home_quota(quota_settings)

    assert not result.ok
    assert result.message == (
        "the hub does not run as root (loop mounts need root): homes would have no disk cap; "
        "fix that, or set ARENA_SANDBOX_HOME_QUOTA=none to accept it"
    )
