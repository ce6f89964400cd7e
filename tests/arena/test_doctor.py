"""``arena doctor`` checks, each failing and passing, on temporary folders and the test databases."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from cli import doctor as doctor_cli
from arena.db import Database
from arena.errors import ConfigurationError
from arena.health import (
    check_answers_store,
    check_bubblewrap,
    check_database,
    check_proxy,
    check_proxy_reachable,
    check_secrets,
    run_checks,
    schema_revision,
)
from arena.settings import Settings

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="changing file owners needs root")


def _answers(settings: Settings, mode: int = 0o700) -> Path:
    folder = settings.answers_dir
    (folder / "churn").mkdir(parents=True)
    (folder / "churn" / "answers.parquet").write_bytes(b"PAR1")
    folder.chmod(mode)
    return folder


def test_database_check_passes_on_a_migrated_database(db_settings: Settings, db: Database) -> None:
    result = check_database(db_settings)

    assert result.ok, result.message
    assert f"newest migration {schema_revision(db).head}" in result.message
    assert schema_revision(db).migrated


def test_database_check_names_the_missing_migration(db_settings: Settings, db: Database) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))

    result = check_database(db_settings)

    assert not result.ok
    assert f"at no schema, newest is {schema_revision(db).head}: run `arena db upgrade`" in result.message


def test_database_check_fails_when_unreachable_or_missing(settings: Settings) -> None:
    url = "postgresql+psycopg://u:pw@127.0.0.1:1/x"
    unreachable = Settings(data_dir=settings.data_dir, database_url=url, _env_file=None)

    missing = check_database(settings)
    refused = check_database(unreachable)

    assert not missing.ok and "does not exist: run `arena db upgrade`" in missing.message
    assert not refused.ok and refused.message.startswith("cannot reach postgresql+psycopg://u:***@127.0.0.1:1/x")
    assert "pw" not in refused.message.replace("psycopg", "")


def test_answers_check_passes_on_a_private_folder(settings: Settings) -> None:
    _answers(settings)

    result = check_answers_store(settings)

    assert result.ok, result.message


@pytest.mark.parametrize("mode", [0o755, 0o750, 0o701])
def test_answers_check_fails_when_others_may_enter(settings: Settings, mode: int) -> None:
    folder = _answers(settings, mode)

    result = check_answers_store(settings)

    assert not result.ok
    assert f"has mode {oct(mode)}" in result.message and f"chmod 0700 {folder}" in result.message


def test_answers_check_fails_when_missing(settings: Settings) -> None:
    result = check_answers_store(settings)

    assert not result.ok and "install -d -m 0700" in result.message


@needs_root
def test_answers_check_fails_when_a_sandbox_user_owns_a_file(settings: Settings) -> None:
    folder = _answers(settings)
    leaked = folder / "churn" / "answers.parquet"
    os.chown(leaked, settings.sandbox_uid_base + 3, -1)

    result = check_answers_store(settings)

    assert not result.ok
    assert f"{leaked} is owned by sandbox uid {settings.sandbox_uid_base + 3}" in result.message


@needs_root
def test_answers_check_fails_when_owned_by_another_user(settings: Settings) -> None:
    folder = _answers(settings)
    os.chown(folder, 4242, -1)

    result = check_answers_store(settings)

    assert not result.ok and "owned by uid 4242, not root or the service user" in result.message


def test_program_checks_follow_path(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in ("configurable-http-proxy", "bwrap"):
        (tools / name).write_text("#!/bin/sh\n")
        (tools / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(tools))
    found = (check_proxy(settings), check_bubblewrap(settings))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    missing = (check_proxy(settings), check_bubblewrap(settings))
    docker = check_bubblewrap(Settings(data_dir=settings.data_dir, spawner="docker", _env_file=None))

    assert [result.ok for result in found] == [True, True]
    assert [result.ok for result in missing] == [False, False]
    assert "npm install --global configurable-http-proxy" in missing[0].message
    assert "apt-get install bubblewrap" in missing[1].message
    assert docker.ok and "not needed" in docker.message


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (None, "the database is the SQLite default"),
        ("postgresql+psycopg://arena@db/arena", "has no password (user 'arena' on db)"),
        ("postgresql+psycopg://arena:changeme@db/arena", "placeholder password 'changeme'"),
    ],
)
def test_default_secrets_fail_the_check_and_refuse_production(tmp_path: Path, url: str | None, message: str) -> None:
    settings = Settings(data_dir=tmp_path, database_url=url, _env_file=None)

    result = check_secrets(settings)

    assert not result.ok and message in result.message
    with pytest.raises(ConfigurationError, match=f"ARENA_PRODUCTION is on but .*{re.escape(message)}"):
        Settings(data_dir=tmp_path, database_url=url, production=True, _env_file=None)


def test_real_secrets_pass_in_production(tmp_path: Path) -> None:
    url = "postgresql+psycopg://arena:Xq9-long-random@db/arena"

    result = check_secrets(Settings(data_dir=tmp_path, database_url=url, production=True, _env_file=None))

    assert result.ok and result.message == "no default secret in use"


def test_doctor_prints_one_line_per_check_and_exits_1_on_failure(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARENA_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("ARENA_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    Database.from_settings(settings).migrate()
    _answers(settings)
    expected = run_checks(settings)

    app = typer.Typer()
    doctor_cli.register(app)

    result = CliRunner().invoke(app, [])

    lines = result.output.splitlines()
    assert [line.split()[:2] for line in lines] == [["OK" if r.ok else "FAIL", r.name] for r in expected]
    names = ["database", "answers", "proxy", "proxy-http", "bubblewrap", "home-quota", "sandbox-cgroups", "secrets"]
    assert names == [r.name for r in expected]
    assert lines[-1].startswith("FAIL secrets")  # the SQLite default
    assert result.exit_code == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _HubHealth(BaseHTTPRequestHandler):
    """Stands in for the hub behind the proxy: 200 on /hub/health, 404 elsewhere."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.send_response(200 if self.path == "/hub/health" else 404)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def hub_stand_in() -> Iterator[int]:
    """Port of a tiny HTTP server answering the hub's health page."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HubHealth)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _start_proxy(port: int, target_port: int) -> subprocess.Popen[bytes]:
    """A real configurable-http-proxy on ``port`` whose default target is ``target_port``."""
    command = [
        shutil.which("configurable-http-proxy") or "configurable-http-proxy",
        *("--ip", "127.0.0.1", "--port", str(port), "--api-ip", "127.0.0.1", "--api-port", str(_free_port())),
        *("--default-target", f"http://127.0.0.1:{target_port}", "--log-level", "error"),
    ]
    proxy = subprocess.Popen(command, env={**os.environ, "CONFIGPROXY_AUTH_TOKEN": "doctor-test"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proxy
        except OSError:
            time.sleep(0.1)
    proxy.kill()
    pytest.fail("configurable-http-proxy did not start within 30 s")


needs_proxy = pytest.mark.skipif(
    shutil.which("configurable-http-proxy") is None, reason="configurable-http-proxy is installed by make test"
)


@needs_proxy
def test_proxy_reachable_when_the_proxy_routes_to_a_live_hub(tmp_path: Path, hub_stand_in: int) -> None:
    port = _free_port()
    proxy = _start_proxy(port, hub_stand_in)
    try:
        on_loopback = check_proxy_reachable(Settings(data_dir=tmp_path, public_port=port, _env_file=None))
        wildcard = check_proxy_reachable(
            Settings(data_dir=tmp_path, public_ip="0.0.0.0", public_port=port, _env_file=None)
        )
        explicit = check_proxy_reachable(
            Settings(data_dir=tmp_path, public_port=1, proxy_check_url=f"http://127.0.0.1:{port}/", _env_file=None)
        )
    finally:
        proxy.terminate()
        proxy.wait(10)

    assert [on_loopback.ok, wildcard.ok, explicit.ok] == [True, True, True], on_loopback.message
    assert on_loopback.message == f"http://127.0.0.1:{port}/hub/health answers 200 through the proxy"


@needs_proxy
def test_proxy_reachable_fails_when_the_hub_behind_it_is_down(tmp_path: Path) -> None:
    port = _free_port()
    proxy = _start_proxy(port, _free_port())  # nothing listens on the target
    try:
        result = check_proxy_reachable(Settings(data_dir=tmp_path, public_port=port, _env_file=None))
    finally:
        proxy.terminate()
        proxy.wait(10)

    assert not result.ok
    assert f"http://127.0.0.1:{port}/hub/health answers 503, not 200: the proxy is up but the hub" in result.message


def test_proxy_reachable_fails_when_nothing_answers(tmp_path: Path) -> None:
    port = _free_port()

    result = check_proxy_reachable(Settings(data_dir=tmp_path, public_port=port, _env_file=None))

    assert not result.ok
    assert result.message.startswith(f"nothing answers at http://127.0.0.1:{port}/hub/health (")
    assert "start the platform (`arena up`)" in result.message


def test_doctor_says_which_cgroups_hold_the_sandboxes(tmp_path: Path) -> None:
    from arena.cgroups import cgroup_mode
    from arena.health import check_sandbox_cgroups

    on = check_sandbox_cgroups(Settings(data_dir=tmp_path, _env_file=None))
    off = check_sandbox_cgroups(Settings(data_dir=tmp_path, sandbox_cgroups="off", _env_file=None))

    mode = cgroup_mode()
    assert on.ok == (mode != "none")
    assert (f"cgroup {mode}: 2 GiB memory (tmpfs and page cache included)" in on.message) == (mode != "none")
    assert not off.ok and "prlimit" in off.message
