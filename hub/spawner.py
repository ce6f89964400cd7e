"""``BwrapSpawner``: a LocalProcessSpawner that runs each server in a bubblewrap sandbox.

Only a few hooks of the parent are overridden: ``start`` prepares the sandbox (arena
account lookup, home (a loop-mounted image with ``sandbox_home_quota = "loop"``, see
:mod:`hub.home_quota`), network namespace, firewall) and then lets the parent launch
:func:`hub.sandbox_command.sandbox_argv`; ``stop`` lets the parent stop the process and then
removes the network and unmounts the home; ``get_env``/``user_env`` give the sandbox its own environment;
``make_preexec_fn`` does nothing (``setpriv`` inside the argv drops privileges).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from functools import lru_cache
from pathlib import Path
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Integer

from arena.accounts import find_user
from arena.db import Database
from arena.settings import Settings, get_settings
from hub.errors import SandboxSetupError
from hub.home_quota import loop_quota_missing, mount_home, unmount_home
from hub.network import SandboxNetwork, apply_firewall, create_network, destroy_network, network_for
from hub.sandbox_command import Sandbox, passwd_lines, sandbox_argv, sandbox_env
from sandboxes import seed_home

__all__ = ["MIN_SANDBOX_UID", "BwrapSpawner", "prepare_sandbox_files", "sandbox_for"]

MIN_SANDBOX_UID = 1000


@lru_cache(maxsize=4)
def _database(url: str) -> Database:
    return Database(url)


def _arena_id(settings: Settings, name: str) -> int:
    with _database(settings.db_url).session() as session:
        user = find_user(session, name)
        if user is None:
            raise SandboxSetupError(f"hub user {name!r} has no arena account: create it with `arena users add`")
        return user.id


def sandbox_for(settings: Settings, name: str, arena_id: int) -> Sandbox:
    """The sandbox description of arena user ``name`` (id ``arena_id``); no side effects."""
    uid = settings.sandbox_uid_base + arena_id
    if uid < MIN_SANDBOX_UID:
        raise SandboxSetupError(
            f"sandbox uid {uid} of {name!r} is below {MIN_SANDBOX_UID} (system accounts): raise ARENA_SANDBOX_UID_BASE"
        )
    return Sandbox(
        user=name,
        uid=uid,
        gid=uid,
        home=settings.homes_dir / name,
        etc_dir=settings.resolved_data_dir / "sandbox-etc" / name,
        network=network_for(settings, arena_id),
    )


def _is_server(pid: int) -> bool:
    """Whether ``pid`` runs jupyterhub-singleuser itself (not a bwrap whose argv names it)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return Path(argv[0].decode(errors="replace")).name != "bwrap" and any(
        arg.endswith(b"/jupyterhub-singleuser") for arg in argv[:2]
    )


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc/<pid>/task/*/children), nearest first."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop(0)
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                queue += [int(child) for child in children.read_text().split()]
        if parent != pid:
            found.append(parent)
    return found


def _ensure_dir(path: Path, mode: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)


def prepare_sandbox_files(settings: Settings, sandbox: Sandbox, *, quota: bool = False) -> None:
    """Create the home (owned by the sandbox uid, 0700, with the starter notebooks) and passwd/group files.

    Args:
        settings: platform settings.
        sandbox: the sandbox being started.
        quota: mount the home's image on it first (:func:`hub.home_quota.mount_home`).
    """
    data_dir = settings.resolved_data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    _ensure_dir(data_dir, data_dir.stat().st_mode & 0o7777 | 0o711)
    for passage in (settings.homes_dir, sandbox.etc_dir.parent):  # others pass through, never list
        _ensure_dir(passage, 0o711)
    for readable in (settings.datasets_dir, settings.challenges_dir, sandbox.etc_dir):
        _ensure_dir(readable, 0o755)
    if quota:
        mount_home(settings, sandbox.user, sandbox.home, sandbox.uid, sandbox.gid)
    else:
        sandbox.home.mkdir(exist_ok=True)
    os.chown(sandbox.home, sandbox.uid, sandbox.gid)
    os.chmod(sandbox.home, 0o700)
    seed_home(sandbox.home, sandbox.uid, sandbox.gid)
    for filename, text in zip(("passwd", "group"), passwd_lines(sandbox), strict=True):
        (sandbox.etc_dir / filename).write_text(text)
        os.chmod(sandbox.etc_dir / filename, 0o644)


class BwrapSpawner(LocalProcessSpawner):
    """Spawn each user's server as an unprivileged, network-fenced bubblewrap sandbox."""

    sandbox_port = Integer(8888, config=True, help="Port the server listens on inside its network namespace.")

    _sandbox: Sandbox | None = None
    limits: Settings | None = None
    """Settings with the limits of the chosen sandbox size (set by ``hub.profiles``; None: the platform's)."""

    @property
    def arena_settings(self) -> Settings:
        """Platform settings (read from the hub's environment)."""
        return get_settings()

    def make_preexec_fn(self, name: str) -> Any:
        """No preexec: ``setpriv`` in the argv drops to the sandbox uid."""
        return None

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        """The sandbox's own HOME, PATH, ARENA_* variables (nothing from /etc/passwd of the host)."""
        for key in ("PYTHONPATH", "LD_LIBRARY_PATH", "CONDA_DEFAULT_ENV", "CONDA_ROOT"):
            env.pop(key, None)
        if self._sandbox is not None:
            env.update(sandbox_env(self.arena_settings, self._sandbox))
        return env

    def _home_quota(self, settings: Settings) -> bool:
        """Whether this spawn's home is a quota'd image (warns when "loop" is asked but impossible)."""
        if settings.sandbox_home_quota != "loop":
            return False
        missing = loop_quota_missing()
        if missing is not None:
            self.log.warning(
                "The home of %s has NO disk quota: %s (set ARENA_SANDBOX_HOME_QUOTA=none to accept plain homes)",
                self.user.name,
                missing,
            )
        return missing is None

    async def start(self) -> tuple[str, int]:
        """Prepare home, network and firewall, then launch the sandboxed server."""
        settings = self.arena_settings
        arena_id = await asyncio.to_thread(_arena_id, settings, self.user.name)
        sandbox = sandbox_for(settings, self.user.name, arena_id)
        self._sandbox = sandbox
        try:
            await asyncio.to_thread(prepare_sandbox_files, settings, sandbox, quota=self._home_quota(settings))
            await create_network(sandbox.network)
            await apply_firewall(settings)
            self.ip = sandbox.network.sandbox_ip
            self.port = self.sandbox_port
            self.hub_connect_url = f"http://{sandbox.network.host_ip}:{settings.hub_port}"
            server = [str(settings.sandbox_env_dir / "bin" / "jupyterhub-singleuser")]
            self.cmd = sandbox_argv(self.limits or settings, sandbox, server)
            address = await super().start()
        except Exception:
            await self._tear_down(sandbox.network, sandbox.home)
            raise
        await self._wait_listening(self.start_timeout)
        return address

    async def _tear_down(self, network: SandboxNetwork, home: Path) -> None:
        """Remove the sandbox's network and unmount its home (both fine if already gone)."""
        await destroy_network(network)
        if not await asyncio.to_thread(unmount_home, home):
            self.log.warning("The home of %s was busy: detached lazily, its loop device goes once free", self.user.name)

    async def _terminate_server(self) -> None:
        """SIGTERM the single-user server inside the sandbox so it shuts its kernels down.

        Signalling ``self.pid`` (the outer bwrap) would kill the sandbox at once: bwrap does
        not forward signals, and its end SIGKILLs everything inside (it is pid 1 there).
        """
        for pid in _descendants(self.pid):
            if _is_server(pid):
                self.log.info("Terminating the server of %s (pid %i in the host's view)", self.user.name, pid)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
                await self.wait_for_death(self.term_timeout)
                return

    async def _wait_listening(self, timeout: float) -> None:
        """Return once the server accepts TCP connections (or died, or ``timeout`` passed).

        The hub's own readiness check backs off exponentially (up to seconds between tries);
        polling the port here every 0.1 s lets it succeed on its first try.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline and await self.poll() is None:
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection(self.ip, self.port), 1)
            except (OSError, TimeoutError):
                await asyncio.sleep(0.1)
                continue
            writer.close()
            return

    async def stop(self, now: bool = False) -> None:
        """Stop the server (SIGTERM to the server itself first), then remove its network and unmount its home."""
        try:
            if not now and await self.poll() is None:
                await self._terminate_server()
            await super().stop(now=now)
        finally:
            if self._sandbox is not None:
                network, home = self._sandbox.network, self._sandbox.home
            else:  # the hub restarted since the spawn: find the network and home again
                settings = self.arena_settings
                network = network_for(settings, await asyncio.to_thread(_arena_id, settings, self.user.name))
                home = settings.homes_dir / self.user.name
            await self._tear_down(network, home)
