"""Health of a deployment: the schema revision, and the checks ``arena doctor`` prints.

Each check returns a :class:`CheckResult` whose message says what was found and, on failure,
what to run to fix it. The checks only read (files, PATH, the database): none changes anything.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import httpx
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from arena.cgroups import cgroup_mode
from arena.db import Database
from arena.settings import Settings

__all__ = [
    "CHECKS",
    "PROXY_TIMEOUT_SECONDS",
    "CheckResult",
    "SchemaRevision",
    "check_answers_store",
    "check_bubblewrap",
    "check_database",
    "check_home_quota",
    "check_proxy",
    "check_proxy_reachable",
    "check_sandbox_cgroups",
    "check_secrets",
    "loop_quota_missing",
    "proxy_health_url",
    "run_checks",
    "schema_revision",
]

_MIGRATIONS = Path(__file__).parent / "migrations"
_VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class SchemaRevision:
    """The Alembic revision a database is at, and the newest one the code knows."""

    current: str | None
    head: str

    @property
    def migrated(self) -> bool:
        """Whether the database is at the newest revision."""
        return self.current == self.head


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one deployment check."""

    name: str
    ok: bool
    message: str


@cache
def _head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head() or ""


def schema_revision(db: Database) -> SchemaRevision:
    """Read the database's Alembic revision (connects: raises SQLAlchemy errors when unreachable).

    Args:
        db: The platform database.
    """
    with db.engine.connect() as connection:
        current = None
        if inspect(connection).has_table(_VERSION_TABLE):  # read directly: alembic's context logs each call
            current = connection.scalar(text(f"SELECT version_num FROM {_VERSION_TABLE}"))
    return SchemaRevision(current, _head_revision())


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def check_database(settings: Settings) -> CheckResult:
    """The database answers and is at the newest migration."""
    url = settings.db_url
    if url.startswith("sqlite") and not Path(make_url(url).database or "").is_file():
        return CheckResult("database", False, f"SQLite file of {url} does not exist: run `arena db upgrade`")
    db = Database(url)
    try:
        revision = schema_revision(db)
    except SQLAlchemyError as error:  # any driver error means: not reachable as configured
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return CheckResult("database", False, f"cannot reach {_shown(url)}: {first_line}; fix ARENA_DATABASE_URL")
    finally:
        db.dispose()
    if not revision.migrated:
        found = revision.current or "no schema"
        return CheckResult(
            "database", False, f"{_shown(url)} is at {found}, newest is {revision.head}: run `arena db upgrade`"
        )
    return CheckResult("database", True, f"{_shown(url)} reachable, at the newest migration {revision.head}")


def _sandbox_owned(root: Path, uid_base: int) -> Path | None:
    for folder, names, files in os.walk(root):
        for entry in (Path(folder), *(Path(folder) / name for name in (*names, *files))):
            if entry.lstat().st_uid >= uid_base:
                return entry
    return None


def check_answers_store(settings: Settings) -> CheckResult:
    """The hidden answers are readable by the service user only: mode 0700, owned by root or that user."""
    folder = settings.answers_dir
    if not folder.is_dir():
        return CheckResult("answers", False, f"{folder} does not exist: create it with `install -d -m 0700 {folder}`")
    status = folder.stat()
    service_uid = os.geteuid()
    if status.st_mode & 0o077:
        mode = oct(status.st_mode & 0o777)
        return CheckResult("answers", False, f"{folder} has mode {mode}, others may read it: run `chmod 0700 {folder}`")
    if status.st_uid not in (0, service_uid):
        return CheckResult(
            "answers",
            False,
            f"{folder} is owned by uid {status.st_uid}, not root or the service user "
            f"(uid {service_uid}): run `chown -R {service_uid} {folder}`",
        )
    leaked = _sandbox_owned(folder, settings.sandbox_uid_base)
    if leaked is not None:
        return CheckResult(
            "answers",
            False,
            f"{leaked} is owned by sandbox uid {leaked.lstat().st_uid} (sandbox uids start at "
            f"{settings.sandbox_uid_base}): run `chown -R {service_uid} {folder}`",
        )
    return CheckResult("answers", True, f"{folder} is mode 0700, owned by uid {status.st_uid}, no sandbox-owned file")


def _program(name: str, check: str, fix: str) -> CheckResult:
    found = shutil.which(name)
    if found is None:
        return CheckResult(check, False, f"{name} is not on PATH: {fix}")
    return CheckResult(check, True, f"{name} found at {found}")


def check_proxy(settings: Settings) -> CheckResult:
    """configurable-http-proxy (JupyterHub's proxy) is on PATH."""
    return _program("configurable-http-proxy", "proxy", "run `npm install --global configurable-http-proxy`")


PROXY_TIMEOUT_SECONDS = 3.0


def proxy_health_url(settings: Settings) -> str:
    """The hub's health page as browsers reach it, through the proxy.

    ``settings.proxy_check_url`` when set, else ``http://PUBLIC_IP:PUBLIC_PORT`` (a wildcard
    bind address is reached on loopback), followed by ``/hub/health``.
    """
    base = settings.proxy_check_url
    if base is None:
        host = "127.0.0.1" if settings.public_ip in ("0.0.0.0", "") else settings.public_ip
        base = f"http://{host}:{settings.public_port}"
    return base.rstrip("/") + "/hub/health"


def check_proxy_reachable(settings: Settings) -> CheckResult:
    """The proxy answers browsers and routes ``/hub/`` to a running hub (GET ``/hub/health`` gives 200)."""
    url = proxy_health_url(settings)
    try:
        response = httpx.get(url, timeout=PROXY_TIMEOUT_SECONDS, follow_redirects=False)
    except httpx.TransportError as error:
        reason = str(error) or type(error).__name__
        return CheckResult(
            "proxy-http",
            False,
            f"nothing answers at {url} ({reason}): start the platform (`arena up`), or fix "
            "ARENA_PUBLIC_IP/ARENA_PUBLIC_PORT (ARENA_PROXY_CHECK_URL when the proxy is elsewhere)",
        )
    if response.status_code != 200:
        return CheckResult(
            "proxy-http",
            False,
            f"{url} answers {response.status_code}, not 200: the proxy is up but the hub behind it is not "
            "(look at the hub's log; the proxy answers 503 while its target is down)",
        )
    return CheckResult("proxy-http", True, f"{url} answers 200 through the proxy")


def check_bubblewrap(settings: Settings) -> CheckResult:
    """bubblewrap is on PATH (needed by the ``bwrap`` spawner only)."""
    if settings.spawner != "bwrap":
        return CheckResult("bubblewrap", True, f"not needed: ARENA_SPAWNER={settings.spawner}")
    return _program("bwrap", "bubblewrap", "run `apt-get install bubblewrap`")


def loop_quota_missing() -> str | None:
    """Why sandbox homes cannot be loop-mounted ext4 images on this machine (None when they can)."""
    if os.geteuid() != 0:
        return "the hub does not run as root (loop mounts need root)"
    if not Path("/dev/loop-control").exists():
        return "/dev/loop-control is missing (no loop devices: load the `loop` kernel module)"
    for tool in ("mkfs.ext4", "mount", "umount", "cp"):
        if shutil.which(tool) is None:
            return f"{tool} is not on PATH (apt-get install e2fsprogs util-linux coreutils)"
    return None


def check_home_quota(settings: Settings) -> CheckResult:
    """Sandbox homes get their disk quota (loop-mounted images), or the operator chose none."""
    if settings.spawner != "bwrap":
        return CheckResult("home-quota", True, f"not needed: ARENA_SPAWNER={settings.spawner} (one volume per home)")
    if settings.sandbox_home_quota == "none":
        return CheckResult("home-quota", True, "off by choice (ARENA_SANDBOX_HOME_QUOTA=none): homes have no disk cap")
    missing = loop_quota_missing()
    if missing is not None:
        return CheckResult(
            "home-quota",
            False,
            f"{missing}: homes would have no disk cap; fix that, or set ARENA_SANDBOX_HOME_QUOTA=none to accept it",
        )
    return CheckResult(
        "home-quota", True, f"each home is a {settings.sandbox_disk_quota_mb} MiB ext4 image, loop-mounted"
    )


def check_sandbox_cgroups(settings: Settings) -> CheckResult:
    """Which control groups hold each sandbox's memory, processes and CPU (v2, v1, or none: prlimit)."""
    if settings.spawner != "bwrap":
        return CheckResult("sandbox-cgroups", True, f"not needed: ARENA_SPAWNER={settings.spawner} (container limits)")
    limits = (
        f"{settings.sandbox_mem_bytes / 1024**3:g} GiB memory (tmpfs and page cache included), "
        f"{settings.sandbox_max_processes} processes, CPU weight {settings.sandbox_cpu_weight}, "
        f"{settings.sandbox_cpu_limit:g} CPU per sandbox"
    )
    if settings.sandbox_cgroups == "off":
        return CheckResult(
            "sandbox-cgroups", False, "off (ARENA_SANDBOX_CGROUPS=off): per-process prlimit only, tmpfs uncounted"
        )
    mode = cgroup_mode()
    if mode == "none":
        return CheckResult(
            "sandbox-cgroups",
            False,
            "no usable cgroup hierarchy (run the hub as root on a host with the memory and pids controllers): "
            "per-process prlimit only, a sandbox's processes together are not capped",
        )
    return CheckResult("sandbox-cgroups", True, f"cgroup {mode}: {limits}")


def check_secrets(settings: Settings) -> CheckResult:
    """No development default secret is in use (database password, SQLite default)."""
    problems = settings.default_secrets()
    if problems:
        return CheckResult("secrets", False, "; ".join(problems))
    note = "" if settings.production else " (set ARENA_PRODUCTION=true so that the platform refuses defaults)"
    return CheckResult("secrets", True, "no default secret in use" + note)


CHECKS: tuple[Callable[[Settings], CheckResult], ...] = (
    check_database,
    check_answers_store,
    check_proxy,
    check_proxy_reachable,
    check_bubblewrap,
    check_home_quota,
    check_sandbox_cgroups,
    check_secrets,
)


def run_checks(settings: Settings) -> list[CheckResult]:
    """Run every deployment check, in order.

    Args:
        settings: The deployment's settings.
    """
    return [check(settings) for check in CHECKS]
