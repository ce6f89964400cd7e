"""Per-home disk quota: each home is a sparse ext4 image, loop-mounted on the home folder.

With ``sandbox_home_quota = "loop"`` the home of user ``alice`` is the file
``homes/alice.img`` (root-owned, 0600, sparse: it takes only what is written), an ext4 file
system of ``sandbox_disk_quota_mb`` MiB whose root belongs to the sandbox uid. It is mounted
(``nosuid,nodev``, loop device with autoclear) on ``homes/alice`` before bubblewrap starts and
unmounted when the server stops, which also releases the loop device. A sandbox that fills its
home gets ENOSPC from the kernel; the host's disk, the hub and the other homes are unaffected.

A home that is still a plain folder with content (made before quotas, or by hand) is migrated
once: its content is copied into a new image (``cp -a``: owners, modes, links kept), and only
after the copy succeeded is the plain content removed. Content larger than the quota is
refused with a clear error and left untouched.

Loop mounts need root, ``/dev/loop-control`` and ``mkfs.ext4``/``mount``/``umount``;
:func:`loop_quota_missing` (from :mod:`arena.health`) says what is missing (the spawner then falls back to a plain
folder and logs a warning; ``arena doctor`` reports it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path

from arena.health import loop_quota_missing
from arena.settings import Settings
from hub.errors import SandboxSetupError

__all__ = [
    "MOUNT_OPTIONS",
    "home_image",
    "home_mounts",
    "loop_quota_missing",
    "mount_home",
    "release_homes",
    "unmount_home",
]

MOUNT_OPTIONS = "loop,nosuid,nodev"
_UMOUNT_TRIES = 10


def home_image(settings: Settings, user: str) -> Path:
    """The image file holding ``user``'s home."""
    return settings.homes_dir / f"{user}.img"


def _run(argv: list[str], what: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        command = " ".join(argv)
        raise SandboxSetupError(f"{what} failed: `{command}` exited {result.returncode}: {result.stderr.strip()}")


def _new_image(settings: Settings, path: Path, uid: int, gid: int) -> None:
    """A sparse ext4 image of the quota's size at ``path`` (0600, root-owned), its root owned by ``uid``."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.ftruncate(fd, settings.sandbox_disk_quota_mb * 1024**2)
    finally:
        os.close(fd)
    # -m 0: no blocks reserved for root (the sandbox user gets the whole quota);
    # the file is new and sparse, so the journal and inode tables need no zeroing
    options = f"root_owner={uid}:{gid},lazy_itable_init=1,lazy_journal_init=1"
    _run(["mkfs.ext4", "-q", "-F", "-m", "0", "-E", options, str(path)], f"making the home image {path}")


def _mount(image: Path, target: Path) -> None:
    _run(["mount", "-t", "ext4", "-o", MOUNT_OPTIONS, str(image), str(target)], f"mounting {image} on {target}")


def _migrate(settings: Settings, home: Path, image: Path, uid: int, gid: int) -> None:
    """Copy the plain folder ``home`` into a new image, then empty the folder (refuse if it does not fit)."""
    staging, scratch = image.with_name(image.name + ".new"), image.with_name(f".{image.stem}.migrating")
    _new_image(settings, staging, uid, gid)
    scratch.mkdir(mode=0o700, exist_ok=True)
    _mount(staging, scratch)
    try:
        copy = subprocess.run(["cp", "-a", f"{home}/.", f"{scratch}/"], capture_output=True, text=True)
    finally:
        _run(["umount", str(scratch)], f"unmounting {scratch}")
        scratch.rmdir()
    if copy.returncode != 0:
        staging.unlink()
        used = subprocess.run(["du", "-sm", str(home)], capture_output=True, text=True).stdout.split("\t")[0]
        raise SandboxSetupError(
            f"cannot move the plain home {home} ({used or '?'} MiB) into a {settings.sandbox_disk_quota_mb} MiB "
            f"image: {copy.stderr.strip().splitlines()[-1] if copy.stderr.strip() else 'cp failed'}; free space "
            "in it or raise ARENA_SANDBOX_DISK_QUOTA_MB (the folder is left as it was)"
        )
    staging.rename(image)
    for entry in list(home.iterdir()):  # the image now holds it all
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def mount_home(settings: Settings, user: str, home: Path, uid: int, gid: int) -> bool:
    """Mount ``user``'s home image on ``home``, creating (or migrating into) the image first.

    A home already mounted (left by a hub that crashed) is kept as it is.

    Returns:
        True if the image was created this time.

    Raises:
        SandboxSetupError: mkfs, mount or the migration failed (the message says which and why).
    """
    home.mkdir(mode=0o700, exist_ok=True)
    if os.path.ismount(home):
        return False
    image = home_image(settings, user)
    created = not image.exists()
    if created:
        if any(home.iterdir()):
            _migrate(settings, home, image, uid, gid)
        else:
            _new_image(settings, image, uid, gid)
    _mount(image, home)
    if created:
        with contextlib.suppress(FileNotFoundError):
            (home / "lost+found").rmdir()  # e2fsck makes it again if it ever needs it
    return created


def unmount_home(home: Path) -> bool:
    """Unmount ``home`` if it is a mount point; the loop device goes with it (autoclear).

    Returns:
        False if it was busy and only detached lazily (it goes once nothing uses it), else True.
    """
    if not os.path.ismount(home):
        return True
    for _ in range(_UMOUNT_TRIES):  # the sandbox's last processes may still be exiting
        if subprocess.run(["umount", str(home)], capture_output=True).returncode == 0:
            return True
        time.sleep(0.1)
    _run(["umount", "--lazy", str(home)], f"unmounting {home}")
    return False


def home_mounts(settings: Settings) -> list[Path]:
    """Mount points under ``homes_dir`` in the hub's mount namespace."""
    prefix = f"{settings.homes_dir}/"
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].encode().decode("unicode_escape")  # octal escapes such as \\040
        if point.startswith(prefix):
            points.append(Path(point))
    return points


def release_homes(settings: Settings) -> list[Path]:
    """Unmount every home of this platform still mounted (after a hub stopped or crashed).

    Returns:
        The homes that were unmounted.
    """
    mounted = home_mounts(settings)
    for point in reversed(mounted):
        unmount_home(point)
    return mounted
