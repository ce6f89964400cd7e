"""``BwrapSpawner``: a LocalProcessSpawner that runs each server in a bubblewrap sandbox.

Only a few hooks of the parent are overridden: ``start`` prepares the sandbox (arena
account lookup, home (a loop-mounted image with ``sandbox_home_quota = "loop"``, see
:mod:`hub.home_quota`), network namespace, firewall) and then lets the parent launch
:func:`hub.sandbox_command.sandbox_argv`; ``stop`` lets the parent stop the process and then
removes the network and unmounts the home; ``get_env``/``user_env`` give the sandbox its own environment;
``make_preexec_fn`` does nothing (``setpriv`` inside the argv drops privileges).

Named servers (``sandbox_named_servers`` > 0): every server of a user is a sandbox of its own
(own network namespace, veth pair and addresses: :func:`hub.network.network_for` of the
user's id and the server's slot; own process namespace), all running as the user's sandbox uid
on the user's one home. The default server has slot 0; a named server takes the lowest slot in
``1..N`` that no other running server of the user holds. Slot and network are kept in the
spawner state (they survive a hub restart). The home image is mounted by the user's first
server and unmounted when the last one stops (checked under a per-user lock against the user's
other servers, which the hub reloads from its database after a restart).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner
from sqlalchemy import select
from tornado import web
from traitlets import Integer

from arena.accounts import disabled_message, find_user
from arena.cgroups import cgroup_mode
from arena.db import Database
from arena.models import Challenge, ChallengeState
from arena.settings import Settings, get_settings
from hub.errors import SandboxSetupError, SpawnRefused
from hub.home_quota import loop_quota_missing, mount_home, unmount_home
from hub.network import SandboxNetwork, apply_firewall, create_network, destroy_network, network_for
from hub.sandbox_cgroup import create_sandbox_cgroup, remove_sandbox_cgroup
from hub.sandbox_command import Sandbox, passwd_lines, sandbox_argv, sandbox_env
from sandboxes import sandbox_python_version, seed_home, seed_starters

__all__ = ["MIN_SANDBOX_UID", "BwrapSpawner", "open_challenges", "prepare_sandbox_files", "sandbox_for"]

MIN_SANDBOX_UID = 1000


@lru_cache(maxsize=4)
def _database(url: str) -> Database:
    return Database(url)


def _arena_id(settings: Settings, name: str) -> int:
    with _database(settings.db_url).session() as session:
        user = find_user(session, name)
        if user is None:
            raise SpawnRefused(
                f"{name!r} has no arena account, so no sandbox can start: an organiser adds it with `arena users add`"
            )
        if user.disabled_at is not None:
            raise SpawnRefused(f"no sandbox can start: {disabled_message(user)}")
        return user.id


def open_challenges(settings: Settings) -> list[str]:
    """Slugs of the challenges not closed (their starters go into every home at spawn)."""
    with _database(settings.db_url).session() as session:
        return list(session.scalars(select(Challenge.slug).where(Challenge.state != ChallengeState.closed)))


def sandbox_for(settings: Settings, name: str, arena_id: int, slot: int = 0) -> Sandbox:
    """The sandbox of server ``slot`` (0: default) of arena user ``name`` (id ``arena_id``); no side effects."""
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
        network=network_for(settings, arena_id, slot),
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


def prepare_sandbox_files(
    settings: Settings, sandbox: Sandbox, *, quota: bool = False, challenges: list[str] | None = None
) -> None:
    """Create the home (owned by the sandbox uid, 0700, with the welcome and starter notebooks) and passwd/group files.

    Args:
        settings: platform settings.
        sandbox: the sandbox being started.
        quota: mount the home's image on it first (:func:`hub.home_quota.mount_home`).
        challenges: the open challenges whose starters go to ``~/starters/<slug>/``
            (:func:`sandboxes.seed_starters`; None: every challenge published in ``challenges_dir``).
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
    python = sandbox_python_version(settings)  # the kernel's, which JupyterLab writes into each notebook
    seed_home(sandbox.home, sandbox.uid, sandbox.gid, python)
    seed_starters(sandbox.home, settings.challenges_dir, challenges, owner=(sandbox.uid, sandbox.gid), python_version=python)
    for filename, text in zip(("passwd", "group"), passwd_lines(sandbox), strict=True):
        path = sandbox.etc_dir / filename
        if not path.exists() or path.read_text() != text:  # another server of the user may have it bound
            path.write_text(text)
        os.chmod(path, 0o644)


class BwrapSpawner(LocalProcessSpawner):
    """Spawn each user's server as an unprivileged, network-fenced bubblewrap sandbox."""

    sandbox_port = Integer(8888, config=True, help="Port the server listens on inside its network namespace.")

    _sandbox: Sandbox | None = None
    _slot: int | None = None
    """Server slot (0: default server, 1..N: named) while the server runs or starts, else None."""
    _network: SandboxNetwork | None = None
    """The server's network as stored in the spawner state (what ``stop`` removes after a hub restart)."""
    _home_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
    """Per-user locks around mounting and unmounting the (shared) home."""
    _released: SandboxNetwork | None = None
    """The network of the last sandbox torn down (poll() and stop() both may see it end: once is enough)."""
    limits: Settings | None = None
    """Settings with the limits of the chosen sandbox size (set by ``hub.profiles``; None: the platform's)."""

    @property
    def arena_settings(self) -> Settings:
        """Platform settings (read from the hub's environment)."""
        return get_settings()

    @property
    def _label(self) -> str:
        return f"{self.user.name}/{self.name}" if self.name else self.user.name

    def _siblings(self) -> list[BwrapSpawner]:
        """The user's other servers that run or are starting (they hold a slot)."""
        return [
            other
            for other in self.user.spawners.values()
            if other is not self and isinstance(other, BwrapSpawner) and other._slot is not None
        ]

    def _claim_slot(self, settings: Settings) -> int:
        """Slot 0 for the default server, else the lowest of ``1..N`` no sibling holds.

        Raises:
            SandboxSetupError: every named slot is taken.
        """
        if not self.name:
            return 0
        taken = {other._slot for other in self._siblings()}
        free = [slot for slot in range(1, settings.sandbox_named_servers + 1) if slot not in taken]
        if not free:
            raise SpawnRefused(
                f"{self.user.name} already runs {settings.sandbox_named_servers} named servers "
                "(ARENA_SANDBOX_NAMED_SERVERS): stop one first",
                status=409,
            )
        return free[0]

    def get_state(self) -> dict[str, Any]:
        """The parent's state (pid) plus the server's slot and network."""
        state = super().get_state()
        if self._slot is not None and self._network is not None:
            state["sandbox_slot"] = self._slot
            state["sandbox_network"] = dataclasses.asdict(self._network)
        return state

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore pid, slot and network after a hub restart (a pid without a slot: slot 0, as before named servers)."""
        super().load_state(state)
        if state.get("pid"):
            self._slot = state.get("sandbox_slot", 0)
        if "sandbox_network" in state:
            self._network = SandboxNetwork(**state["sandbox_network"])

    def clear_state(self) -> None:
        """Forget pid, slot and network once the server stopped (the slot stays claimed while it starts)."""
        super().clear_state()
        if not self._start_pending:  # the parent's poll() clears the state too, even before start set a pid
            self._slot = None
            self._network = None

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
                self._label,
                missing,
            )
        return missing is None

    async def start(self) -> tuple[str, int]:
        """Prepare home, network, firewall and control group, then launch the sandboxed server.

        Raises:
            tornado.web.HTTPError: the platform refuses the spawn (4xx, the reason as the message
                the hub shows on the spawn page and in its API, no traceback in its log).
        """
        try:
            return await self._start()
        except SpawnRefused as refusal:
            http_error = web.HTTPError(refusal.status, str(refusal))
            http_error.jupyterhub_message = str(refusal)
            raise http_error from None

    async def _start(self) -> tuple[str, int]:
        settings = self.arena_settings
        self._slot = self._claim_slot(settings)  # before any await: siblings starting now see it taken
        try:
            arena_id = await asyncio.to_thread(_arena_id, settings, self.user.name)
            sandbox = sandbox_for(settings, self.user.name, arena_id, self._slot)
            challenges = await asyncio.to_thread(open_challenges, settings)
        except Exception:
            self._slot = None
            raise
        self._sandbox, self._network, self._released = sandbox, sandbox.network, None
        try:
            async with self._home_locks[self.user.name]:
                quota = self._home_quota(settings)
                await asyncio.to_thread(prepare_sandbox_files, settings, sandbox, quota=quota, challenges=challenges)
            await create_network(sandbox.network)
            await apply_firewall(settings)
            group = await asyncio.to_thread(create_sandbox_cgroup, settings, sandbox.network, self.limits)
            if group is None:
                self.log.warning(
                    "The sandbox of %s has NO control group (ARENA_SANDBOX_CGROUPS=%s, host: %s): memory and "
                    "processes are capped per process only (prlimit), tmpfs and page cache not at all",
                    self._label,
                    settings.sandbox_cgroups,
                    cgroup_mode(),
                )
            self.ip = sandbox.network.sandbox_ip
            self.port = self.sandbox_port
            self.hub_connect_url = f"http://{sandbox.network.host_ip}:{settings.hub_port}"
            server = [str(settings.sandbox_env_dir / "bin" / "jupyterhub-singleuser")]
            prefix = group.enter_command() if group is not None else None
            self.cmd = sandbox_argv(self.limits or settings, sandbox, server, cgroup_prefix=prefix)
            address = await super().start()
        except Exception:
            await self._tear_down(sandbox.network, sandbox.home)
            self._slot = None
            raise
        await self._wait_listening(self.start_timeout)
        return address

    async def poll(self) -> int | None:
        """The parent's poll; a sandbox found dead (other than while it starts) is torn down at once.

        JupyterHub does not call ``stop`` for a server that died on its own: without this, its
        network, cgroup and mounted home would stay until the user's next spawn.
        """
        network = self._network  # the parent's poll() clears the state once the process is gone
        status = await super().poll()
        if status is not None and network is not None and not self._start_pending and network != self._released:
            self.log.warning(
                "The sandbox of %s ended (exit %s): removing its network, cgroup and home mount", self._label, status
            )
            await self._tear_down(network, self.arena_settings.homes_dir / self.user.name)
        return status

    async def _tear_down(self, network: SandboxNetwork, home: Path) -> None:
        """Kill what is left in the sandbox's cgroup and remove it, remove its network; unmount the home
        unless another server of the user runs (each fine if gone)."""
        self._released = network
        await asyncio.to_thread(remove_sandbox_cgroup, self.arena_settings, network)
        await destroy_network(network)
        async with self._home_locks[self.user.name]:
            siblings = self._siblings()
            if siblings:
                self.log.info("The home of %s stays mounted: %i other server(s) use it", self.user.name, len(siblings))
                return
            if not await asyncio.to_thread(unmount_home, home):
                busy = "The home of %s was busy: detached lazily, its loop device goes once free"
                self.log.warning(busy, self.user.name)

    async def _terminate_server(self) -> None:
        """SIGTERM the single-user server inside the sandbox so it shuts its kernels down.

        Signalling ``self.pid`` (the outer bwrap) would kill the sandbox at once: bwrap does
        not forward signals, and its end SIGKILLs everything inside (it is pid 1 there).
        """
        for pid in _descendants(self.pid):
            if _is_server(pid):
                self.log.info("Terminating the server of %s (pid %i in the host's view)", self._label, pid)
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
        network, slot = self._network, self._slot  # the parent's poll() clears the state once the process is gone
        try:
            if not now and await self.poll() is None:
                await self._terminate_server()
            await super().stop(now=now)
        finally:
            settings = self.arena_settings
            if network is None and slot is not None:  # started before networks were kept in the state
                arena_id = await asyncio.to_thread(_arena_id, settings, self.user.name)
                network = network_for(settings, arena_id, slot)
            if network is not None and network != self._released:  # else poll() found it ended and tore it down
                await self._tear_down(network, settings.homes_dir / self.user.name)
            self._slot = None
