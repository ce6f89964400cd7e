"""Reusable end-to-end harness: run the REAL hub in a subprocess, log in, spawn, execute code.

Used by ``tests/hub/test_sandbox_e2e.py``; meant to be extended by later end-to-end tests
(submitting through the scoring service, reading the leaderboard): import it with
``import harness`` from a test under ``tests/hub/`` (pytest puts this folder on sys.path).

The data dir must live OUTSIDE /tmp: bubblewrap's ``--tmpfs /tmp`` hides binds from under it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import websocket

from arena.accounts import create_user
from arena.db import Database
from arena.settings import Settings
from hub import hub_command, ops_token, prepare_hub_dir
from hub.home_quota import home_mounts, release_homes
from hub.network import host_if_prefix, namespace_prefix, remove_firewall
from hub.sandbox_cgroup import leftover_sandbox_cgroups
from hub.servers import stop_all_servers
from sandboxes import ensure_sandbox_env

__all__ = [
    "HubProcess",
    "KernelError",
    "check_starter_submission",
    "check_private_board",
    "create_token",
    "e2e_missing",
    "free_port",
    "hub_running",
    "leftover_sandboxes",
    "login",
    "make_settings",
    "prepare_platform",
    "publish_tiny_people",
    "run_code",
    "run_in_kernel",
    "running_platform",
    "sandbox_processes",
    "server_api_path",
    "server_url",
    "spawn",
    "start_hub",
    "start_kernel",
    "start_server",
    "starter_script",
    "stop_hub",
    "wait_for_hub",
]

SANDBOX_UIDS = 10_000
TEST_NETWORK_PREFIX = "10.214"  # apart from a platform running on this machine with the default 10.213
NO_SERVICES_CONFIG = """\
from arena.settings import get_settings
from hub.config import configure

configure(c, get_settings(), managed_services=False)  # noqa: F821
"""


class KernelError(AssertionError):
    """Code executed in a sandbox kernel raised; the message carries the traceback."""


def e2e_missing() -> str | None:
    """Why the end-to-end tests cannot run here (None when they can)."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, setpriv)"
    for tool in ("bwrap", "configurable-http-proxy", "nft", "ip", "nsenter", "setpriv", "prlimit"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


def free_port() -> int:
    """A TCP port free on this machine right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings under ``data_dir`` (outside /tmp!) with free ports and the test network prefix."""
    if Path("/tmp") in data_dir.resolve().parents:
        raise ValueError(f"{data_dir} is under /tmp, which sandboxes cannot see through bwrap's --tmpfs /tmp")
    ports = {
        name: free_port()
        for name in ("public_port", "hub_port", "proxy_api_port", "scoring_port", "leaderboard_port", "streamlit_port")
    }
    values = {"data_dir": data_dir, "sandbox_network_prefix": TEST_NETWORK_PREFIX, **ports, **overrides}
    return Settings(_env_file=None, **values)


@dataclass
class HubProcess:
    """A running hub and how to reach it."""

    settings: Settings
    process: subprocess.Popen[bytes]
    log_path: Path
    ops_token: str
    url: str = field(init=False)

    def __post_init__(self) -> None:
        self.url = f"http://127.0.0.1:{self.settings.public_port}"

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        """Call the hub REST API (``/hub/api`` + ``path``) with ``token`` (default: the ops token)."""
        headers = {"Authorization": f"token {token or self.ops_token}"}
        return httpx.request(method, f"{self.url}/hub/api{path}", headers=headers, timeout=30, **kwargs)

    def log(self) -> str:
        """The hub's combined output so far."""
        return self.log_path.read_text(errors="replace")


def start_hub(settings: Settings, *, managed_services: bool = True, timeout: float = 90) -> HubProcess:
    """Start ``jupyterhub -f hub/jupyterhub_config.py`` for ``settings`` and wait until it answers.

    Args:
        settings: where the hub keeps its state and which ports it uses.
        managed_services: also run the scoring and leaderboard services; switch off while
            those rooms are not there (a managed service that dies is restarted in a loop).
        timeout: seconds to wait for ``/hub/api`` to answer.
    """
    hub_dir = prepare_hub_dir(settings)
    config_file = None
    if not managed_services:
        config_file = hub_dir / "jupyterhub_config_no_services.py"
        config_file.write_text(NO_SERVICES_CONFIG)
    argv, env, cwd = hub_command(settings, *([config_file] if config_file else []))
    log_path = settings.resolved_data_dir / "hub.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    hub = HubProcess(settings, process, log_path, ops_token(settings))
    try:
        return wait_for_hub(hub, timeout)
    except TimeoutError:
        stop_hub(hub)
        raise


def wait_for_hub(hub: HubProcess, timeout: float = 90) -> HubProcess:
    """Wait until the hub's API answers through the proxy.

    Raises:
        RuntimeError: the hub process exited.
        TimeoutError: no answer within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise RuntimeError(f"hub exited with {hub.process.returncode}:\n{hub.log()[-4000:]}")
        try:
            if hub.api("GET", "/").status_code == 200:
                return hub
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"hub did not answer within {timeout}s:\n{hub.log()[-4000:]}")


def leftover_sandboxes(settings: Settings) -> list[str]:
    """Network namespaces, veth interfaces, mounted homes, their loop devices and the cgroups of ``settings``'
    sandboxes."""
    tag = settings.sandbox_network_prefix.split(".")[-1]
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    found = [name for name in names if name.startswith(f"arena-{tag}-")]
    prefix = host_if_prefix(settings)
    found += [line.split(":")[1].strip().split("@")[0] for line in links.splitlines() if prefix in line]
    found += [f"mount {point}" for point in home_mounts(settings)]
    found += [f"cgroup {name}" for name in leftover_sandbox_cgroups(settings, namespace_prefix(settings))]
    listing = ["losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE"]
    loops = subprocess.run(listing, capture_output=True, text=True)
    return found + [f"loop {line.strip()}" for line in loops.stdout.splitlines() if str(settings.homes_dir) in line]


def sandbox_processes(settings: Settings) -> list[str]:
    """Live processes (zombies waiting for init to reap them excluded) under a notebook-sandbox uid.

    Notebook sandboxes have uids ``sandbox_uid_base + id`` below ``+ SANDBOX_UIDS``; code-submission
    enclaves (from 30000, the enclave uid base), which other tests may run meanwhile, are not theirs.
    """
    listing = subprocess.run(["ps", "-ww", "-eo", "uid=,pid=,stat=,args="], capture_output=True, text=True).stdout
    rows = [line.split(maxsplit=3) for line in listing.splitlines()]
    uids = range(settings.sandbox_uid_base, settings.sandbox_uid_base + SANDBOX_UIDS)
    return [" ".join(row) for row in rows if int(row[0]) in uids and not row[2].startswith("Z")]


def stop_hub(hub: HubProcess, timeout: float = 60) -> None:
    """Stop the platform as ``arena up`` does: every sandbox through the hub's API, then SIGTERM
    the hub (it stops its services), wait, then drop the firewall table."""
    if hub.process.poll() is None:
        with contextlib.suppress(httpx.HTTPError):
            stop_all_servers(hub.settings, timeout)
    if hub.process.poll() is None:
        hub.process.send_signal(signal.SIGTERM)
        try:
            hub.process.wait(timeout)
        except subprocess.TimeoutExpired:
            hub.process.kill()
            hub.process.wait(10)
    asyncio.run(remove_firewall(hub.settings))


def publish_tiny_people(settings: Settings) -> pd.DataFrame:
    """Write dataset ``people@1`` (3 rows) by hand, per the datasets-store contract."""
    people = pd.DataFrame({"person_id": [1, 2, 3], "province": ["Ha Noi", "Hue", "Can Tho"], "age": [31, 47, 22]})
    folder = settings.datasets_dir / "people" / "1"
    folder.mkdir(parents=True)
    people.to_parquet(folder / "people.parquet", index=False)
    (settings.datasets_dir / "people" / "latest").write_text("1\n")
    entry = {"name": "people", "version": 1, "tables": ["people"], "rows": {"people": 3}, "checksum": "x"}
    (settings.datasets_dir / "index.json").write_text(json.dumps({"datasets": [{**entry, "published_at": "now"}]}))
    return people


@contextmanager
def hub_running(settings: Settings, *, managed_services: bool = True) -> Iterator[HubProcess]:
    """Run the hub for an already prepared data dir; on exit stop it, remove the data dir,
    and raise an AssertionError if any sandbox network, process, mounted home or loop device survived.

    Args:
        settings: the platform's settings (data dir outside /tmp, made by ``make_settings``).
        managed_services: run the scoring and leaderboard services too.
    """
    hub = start_hub(settings, managed_services=managed_services)
    try:
        yield hub
    finally:
        stop_hub(hub)
        leftovers = leftover_sandboxes(settings) + sandbox_processes(settings)
        release_homes(settings)  # never let rmtree walk into a home image
        shutil.rmtree(settings.resolved_data_dir, ignore_errors=True)
        assert leftovers == [], f"sandbox network or processes left behind: {leftovers}"


@contextmanager
def running_platform(
    data_dir: Path, users: dict[str, str], *, managed_services: bool = True, **overrides: Any
) -> Iterator[HubProcess]:
    """A fresh platform under ``data_dir``: DB migrated, competitors created, ``people@1``, hub running.

    Args:
        data_dir: a new folder outside /tmp.
        users: competitor name → password.
        managed_services: run the scoring and leaderboard services too.
        overrides: further Settings fields.
    """
    settings = prepare_platform(data_dir, users, **overrides)
    with hub_running(settings, managed_services=managed_services) as hub:
        yield hub


def prepare_platform(data_dir: Path, users: dict[str, str], **overrides: Any) -> Settings:
    """Settings of a fresh data dir with the sandbox env, the DB migrated, competitors and ``people@1``."""
    settings = make_settings(data_dir, **overrides)
    ensure_sandbox_env(settings)
    database = Database(settings.db_url)
    database.migrate()
    with database.session() as session:
        for name, password in users.items():
            create_user(session, name, "competitor", password)
    database.dispose()
    publish_tiny_people(settings)
    return settings


def spawn(hub: HubProcess, username: str, password: str) -> tuple[str, float]:
    """Log in through the form, create a token, start the server; return (token, seconds taken)."""
    started = time.monotonic()
    token = create_token(login(hub, username, password), username)
    start_server(hub, username, token)
    return token, time.monotonic() - started


def login(hub: HubProcess, username: str, password: str) -> httpx.Client:
    """Log in through the real form (GET for the ``_xsrf`` cookie, POST credentials).

    Returns:
        A client carrying the hub's login cookies (and the xsrf token as a header).
    """
    client = httpx.Client(base_url=hub.url, timeout=30)
    client.get("/hub/login").raise_for_status()
    xsrf = client.cookies.get("_xsrf")
    response = client.post("/hub/login", data={"username": username, "password": password, "_xsrf": xsrf})
    if response.status_code != 302 or "jupyterhub-session-id" not in client.cookies:
        raise AssertionError(f"log-in of {username!r} failed: HTTP {response.status_code}")
    client.get("/hub/home").raise_for_status()  # the logged-in page sets the session's own xsrf cookie
    client.headers["X-XSRFToken"] = next(c.value for c in client.cookies.jar if c.name == "_xsrf")
    return client


def create_token(client: httpx.Client, username: str) -> str:
    """A new API token for the logged-in ``username``, created through the hub API."""
    response = client.post(f"/hub/api/users/{username}/tokens", json={"note": "e2e", "expires_in": 3600})
    if response.status_code != 201:
        raise AssertionError(f"token for {username!r} refused: HTTP {response.status_code} {response.text}")
    return response.json()["token"]


def server_api_path(username: str, server: str = "") -> str:
    """The hub API path of ``username``'s default server, or of its named ``server``."""
    return f"/users/{username}/servers/{server}" if server else f"/users/{username}/server"


def server_url(hub: HubProcess, username: str, server: str = "") -> str:
    """The proxied URL of ``username``'s default (or named ``server``) single-user server."""
    return f"{hub.url}/user/{username}/{server}/" if server else f"{hub.url}/user/{username}/"


def start_server(hub: HubProcess, username: str, token: str, timeout: float = 90, server: str = "") -> None:
    """Ask the hub to start ``username``'s server (or its named ``server``) and wait until it is ready.

    The hub answers 201 once the server is ready, or 202 when the spawn goes on past its
    ``slow_spawn_timeout``; then the spawn's progress stream (what the hub's spawn page
    listens to) says when it is ready, with no polling load on the hub.
    """
    response = hub.api("POST", server_api_path(username, server), token=token)
    if response.status_code == 201:
        return
    if response.status_code != 202:
        raise AssertionError(f"spawn refused: HTTP {response.status_code} {response.text}")
    deadline = time.monotonic() + timeout
    url = f"{hub.url}/hub/api{server_api_path(username, server)}/progress"
    with httpx.stream("GET", url, headers={"Authorization": f"token {token}"}, timeout=timeout) as events:
        if events.status_code != 200:  # e.g. the spawn failed before the stream opened
            status = events.status_code
            raise AssertionError(f"server of {username} is not starting: HTTP {status}\n{hub.log()[-4000:]}")
        for line in events.iter_lines():
            event = json.loads(line[len("data:") :]) if line.startswith("data:") else {}
            if event.get("ready"):
                return
            if event.get("failed"):
                message = event.get("message")
                raise AssertionError(f"server of {username} failed to start: {message}\n{hub.log()[-4000:]}")
            if time.monotonic() > deadline:
                break
    raise TimeoutError(f"server of {username} not ready within {timeout}s:\n{hub.log()[-4000:]}")


def run_code(hub: HubProcess, username: str, token: str, code: str, timeout: float = 120, server: str = "") -> str:
    """Execute ``code`` in a fresh kernel of ``username``'s (default or named ``server``) server; return stdout.

    Raises:
        KernelError: the code raised (the kernel's traceback in the message).
    """
    kernel = start_kernel(hub, username, token, server)
    try:
        return run_in_kernel(hub, username, token, kernel, code, timeout, server)
    finally:
        httpx.delete(f"{server_url(hub, username, server)}api/kernels/{kernel}", headers=_token(token), timeout=30)


def _token(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}"}


def start_kernel(hub: HubProcess, username: str, token: str, server: str = "") -> str:
    """Start a kernel in ``username``'s server (or named ``server``) through the proxy; its id."""
    url = f"{server_url(hub, username, server)}api/kernels"
    response = httpx.post(url, headers=_token(token), json={"name": "python3"}, timeout=60)
    response.raise_for_status()
    return response.json()["id"]


def run_in_kernel(
    hub: HubProcess, username: str, token: str, kernel: str, code: str, timeout: float = 120, server: str = ""
) -> str:
    """Execute ``code`` in the running ``kernel`` of ``username``'s server (or named ``server``); return stdout.

    Raises:
        KernelError: the code raised (the kernel's traceback in the message).
    """
    ws_url = f"{server_url(hub, username, server)}api/kernels/{kernel}/channels".replace("http://", "ws://")
    connection = websocket.create_connection(ws_url, header=[f"Authorization: token {token}"], timeout=timeout)
    try:
        return _execute(connection, code, timeout)
    finally:
        connection.close()


def _execute(connection: websocket.WebSocket, code: str, timeout: float) -> str:
    msg_id = uuid.uuid4().hex
    header = {"msg_id": msg_id, "msg_type": "execute_request", "username": "e2e", "session": uuid.uuid4().hex}
    request = {"header": header, "parent_header": {}, "metadata": {}, "channel": "shell"}
    request["content"] = {"code": code, "silent": False, "store_history": False, "allow_stdin": False}
    connection.send(json.dumps(request))
    stdout: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = json.loads(connection.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream" and content.get("name") == "stdout":
            stdout.append(content["text"])
        elif kind == "error":
            raise KernelError("\n".join(content.get("traceback", [])) or content.get("evalue", ""))
        elif kind == "status" and content.get("execution_state") == "idle":
            return "".join(stdout)
    raise TimeoutError(f"code did not finish within {timeout}s")


def starter_script(notebook_json: str) -> str:
    """The code cells of a published starter notebook as one script printing the replicas' shapes and the result."""
    notebook = json.loads(notebook_json)
    cells = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    cells[-1] = f"result = {cells[-1]}\nprint('RESULT', dict(result))"
    shapes = "from arena_client import load\nprint('SHAPES', load('people_train').shape, load('people_test').shape)"
    return "\n".join([shapes, *cells])


def check_starter_submission(output: str, own: list[dict[str, Any]]) -> dict[str, float]:
    """Assert a starter run (``starter_script``) loaded the replicas and was scored, public scores only.

    Args:
        output: what the kernel printed.
        own: the competitor's submissions as the scoring API lists them.

    Returns:
        The public scores of the one submission.
    """
    assert re.search(r"SHAPES \(\d+, \d+\) \(\d+, \d+\)", output), output
    assert re.search(r"'state': 'scored'", output), f"the submission was not scored:\n{output}"
    assert [s["state"] for s in own] == ["scored"]
    public = own[0]["scores"]["public"]
    assert set(public) == {"f1_macro", "accuracy"} and 0.0 <= public["f1_macro"] <= 1.0
    assert not own[0]["scores"].get("private"), "a competitor saw a private score before the close"
    return public


def check_private_board(hub: Any, competitor_token: str, judge: tuple[str, str], slug: str, team: str) -> None:
    """Assert the private board of ``slug`` is refused to the competitor and shows only ``team`` to the judge.

    Args:
        hub: anything with the hub's public ``url`` and what ``login`` needs (a HubProcess or alike).
        competitor_token: the competitor's API token.
        judge: the judge's user name and password (logged in through the form).
        slug: the challenge.
        team: a part of the one team's name expected on the board.
    """
    judge_token = create_token(login(hub, *judge), judge[0])
    url = f"{hub.url}/services/scoring/api/challenges/{slug}/leaderboard?board=private"
    refused = httpx.get(url, headers=_token(competitor_token), timeout=30)
    private = httpx.get(url, headers=_token(judge_token), timeout=30)
    assert refused.status_code == 403 and "private" in refused.json()["detail"]
    assert private.status_code == 200, private.text
    assert len(private.json()) == 1 and team in private.json()[0]["team"]
