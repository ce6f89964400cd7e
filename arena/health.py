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

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from arena.db import Database
from arena.settings import Settings

__all__ = [
    "CHECKS",
    "CheckResult",
    "SchemaRevision",
    "check_answers_store",
    "check_bubblewrap",
    "check_database",
    "check_proxy",
    "check_secrets",
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


def check_bubblewrap(settings: Settings) -> CheckResult:
    """bubblewrap is on PATH (needed by the ``bwrap`` spawner only)."""
    if settings.spawner != "bwrap":
        return CheckResult("bubblewrap", True, f"not needed: ARENA_SPAWNER={settings.spawner}")
    return _program("bwrap", "bubblewrap", "run `apt-get install bubblewrap`")


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
    check_bubblewrap,
    check_secrets,
)


def run_checks(settings: Settings) -> list[CheckResult]:
    """Run every deployment check, in order.

    Args:
        settings: The deployment's settings.
    """
    return [check(settings) for check in CHECKS]
