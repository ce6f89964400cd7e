"""What the fault tests need: the scoring service as a killable process, a private PostgreSQL
cluster they may stop and start, and the store checks made after each fault."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select

from arena.db import Database
from arena.models import Score, Submission
from arena.settings import Settings
from scoring.store import staging_dir, submission_path

HERE = Path(__file__).parent
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a platform process using ``settings`` (no other ``ARENA_*`` leaks in)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("ARENA_")}
    env |= {
        "ARENA_DATABASE_URL": settings.db_url,
        "ARENA_DATA_DIR": str(settings.data_dir),
        "ARENA_SUBMISSION_MAX_BYTES": str(settings.submission_max_bytes),
        "ARENA_EMBEDDED_WORKER": str(settings.embedded_worker).lower(),
    }
    return env | extra


@dataclass
class ScoringProcess:
    """The scoring service run by ``scoring_process.py`` (start, wait until it answers, kill)."""

    env: dict[str, str]
    users: list[str]
    cwd: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def base(self) -> str:
        """URL of the service prefix."""
        return f"http://127.0.0.1:{self.port}/services/scoring"

    def start(self, timeout: float = 60) -> ScoringProcess:
        """Start it and wait for ``/health`` to answer 200."""
        self.log = self.cwd / f"scoring-{self.port}-{time.monotonic_ns()}.log"
        command = [sys.executable, str(HERE / "scoring_process.py"), str(self.port), ",".join(self.users)]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, env=self.env, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the scoring service exited:\n{self.output()}")
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the scoring service did not answer within {timeout} s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine or the OOM killer stops it."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        """Stop it if it runs (end of test)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        """What it logged."""
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""


def _as_postgres(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: the cluster belongs to the system's postgres user.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of this test alone (so it can be stopped without hurting anything else)."""

    folder: Path
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        """SQLAlchemy URL of its ``postgres`` database (trust authentication, loopback only)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-w", "-t", "60", *args]
        subprocess.run(_as_postgres(command), check=True, capture_output=True, timeout=90)

    def create(self) -> PrivatePostgres:
        """initdb and start."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        initdb = [str(PG_BIN / "initdb"), "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres", "-N"]
        subprocess.run(_as_postgres(initdb), check=True, capture_output=True, timeout=120)
        self.start()
        return self

    def start(self) -> None:
        """Start the server (listening on 127.0.0.1 only, its socket in its own folder)."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", options, "-l", str(self.folder / "server.log"), "start")

    def stop(self) -> None:
        """Stop the server at once ("fast": open sessions are cut off, as in a crash or a restart)."""
        self._ctl("-m", "fast", "stop")


def missing_postgres_binaries() -> str | None:
    """Why a private cluster cannot be made here, or None."""
    if PG_BIN is None or not (PG_BIN / "initdb").exists():
        return "PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser is needed to run PostgreSQL as the postgres user"
    return None


@dataclass(frozen=True)
class StoreState:
    """Rows and files after a fault."""

    submissions: dict[int, str]
    scores_per_submission: dict[int, int]
    attempts: dict[int, int]
    staging: list[Path]
    unreferenced: list[Path]
    missing: list[int]


def store_state(db: Database, settings: Settings) -> StoreState:
    """What the database and the submissions store hold now."""
    with db.session() as session:
        rows = session.execute(select(Submission.id, Submission.state, Submission.attempts, Submission.file_digest))
        submissions, attempts, digests = {}, {}, {}
        for sid, state, tries, digest in rows:
            submissions[sid], attempts[sid], digests[sid] = state.value, tries, digest
        counts = dict(session.execute(select(Score.submission_id, func.count()).group_by(Score.submission_id)).all())
    stored = {
        path for path in settings.submissions_dir.rglob("*") if path.is_file() and path.parent != staging_dir(settings)
    }
    named = {submission_path(settings, digest) for digest in digests.values()}
    staging = sorted(staging_dir(settings).glob("*")) if staging_dir(settings).is_dir() else []
    return StoreState(
        submissions=submissions,
        scores_per_submission={sid: counts.get(sid, 0) for sid in submissions},
        attempts=attempts,
        staging=staging,
        unreferenced=sorted(stored - named),
        missing=sorted(sid for sid, digest in digests.items() if not submission_path(settings, digest).is_file()),
    )


def wait_for_submissions(db: Database, count: int, timeout: float = 60) -> None:
    """Poll until the database holds at least ``count`` submissions."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session() as session:
            if session.scalar(select(func.count()).select_from(Submission)) >= count:
                return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} submissions after {timeout} s")
