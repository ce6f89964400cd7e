"""End to end: the real hub logs a competitor in, spawns a bubblewrap sandbox, runs code in it.

Inside the sandbox the code checks what a competitor can and cannot do: load a dataset
through ``arena_client``; not be root; hold no capabilities; not see the hub's state,
the answers, the database or another home; not write to /datasets; not reach the host's
services (only the hub API port on the host's veth address).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import harness
import pytest

from hub import network_for

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(harness.e2e_missing() is not None, reason=str(harness.e2e_missing()))]

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def platform(e2e_root: Path) -> Iterator[harness.HubProcess]:
    """The real hub (no managed services) with competitors alice and bob, people@1 and planted secrets."""
    data_dir = e2e_root / f"arena-e2e-{uuid.uuid4().hex[:8]}"
    with harness.running_platform(data_dir, {"alice": PASSWORD, "bob": PASSWORD}, managed_services=False) as hub:
        settings = hub.settings
        (settings.answers_dir / "income").mkdir(parents=True)
        (settings.answers_dir / "income" / "answers.parquet").write_bytes(b"secret")
        (settings.homes_dir / "bob").mkdir(parents=True)
        (settings.homes_dir / "bob" / "notes.txt").write_text("bob's private notes")
        yield hub


@pytest.fixture(scope="module")
def alice_token(platform: harness.HubProcess) -> str:
    """Alice logs in through the form, gets a token, starts her server (the time is printed)."""
    token, seconds = harness.spawn(platform, "alice", PASSWORD)
    print(f"\nlogin -> ready server: {seconds:.2f} s")
    return token


@pytest.fixture
def host_listener() -> Iterator[int]:
    """A host service bound on 0.0.0.0 (a sandbox must not reach it)."""
    server = socket.create_server(("0.0.0.0", 0))
    port = server.getsockname()[1]
    threading.Thread(target=lambda: server.accept(), daemon=True).start()
    yield port
    server.close()


PROBE = """
import json, os, socket
from arena_client import datasets, load

def readable(path):
    try:
        os.listdir(path) if os.path.isdir(path) else open(path, "rb").read(1)
        return True
    except OSError:
        return False

def writable(path):
    try:
        with open(path, "w") as handle:
            handle.write("x")
        return True
    except OSError:
        return False

def reachable(host, port):
    try:
        socket.create_connection((host, port), timeout=1.5).close()
        return True
    except OSError:
        return False

from sklearn.linear_model import LinearRegression

people = load("people")
model = LinearRegression().fit(people[["person_id"]], people["age"])  # numpy/BLAS under the memory limit
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
pids = [entry for entry in os.listdir("/proc") if entry.isdigit()]
print(json.dumps({
    "shape": list(people.shape),
    "fitted": bool(model.coef_.shape == (1,)),
    "datasets": [d["name"] for d in datasets()],
    "uid": os.getuid(),
    "cap_eff": status["CapEff"].strip(),
    "cap_bnd": status["CapBnd"].strip(),
    "readable": {path: readable(path) for path in PATHS},
    "home_writable": writable("/home/jovyan/probe.txt"),
    "datasets_writable": writable("/datasets/probe.txt"),
    "homes_visible": os.listdir("/home"),
    "foreign_processes": [pid for pid in pids if os.stat(f"/proc/{pid}").st_uid != os.getuid()],
    "arena_env": sorted(key for key in os.environ if key.startswith("ARENA_")),
    "reachable": {f"{host}:{port}": reachable(host, port) for host, port in TARGETS},
}))
"""


def test_sandbox_loads_data_and_is_fenced(
    platform: harness.HubProcess, alice_token: str, host_listener: int
) -> None:
    settings = platform.settings
    host_ip = network_for(settings, 1).host_ip
    secret_paths = [
        str(settings.hub_dir),
        str(settings.answers_dir / "income" / "answers.parquet"),
        settings.db_url.split(":///", 1)[1],
        str(settings.homes_dir / "bob" / "notes.txt"),
        str(settings.reference_dir),
    ]
    blocked = [("127.0.0.1", 5432), (host_ip, 5432), (host_ip, 2024), (host_ip, host_listener)]
    code = f"PATHS = {secret_paths!r}\nTARGETS = {[*blocked, (host_ip, settings.hub_port)]!r}\n{PROBE}"

    result = json.loads(harness.run_code(platform, "alice", alice_token, code))

    assert result["shape"] == [3, 3] and result["datasets"] == ["people"] and result["fitted"]
    assert result["uid"] == settings.sandbox_uid_base + 1
    assert int(result["cap_eff"], 16) == 0 and int(result["cap_bnd"], 16) == 0
    assert result["readable"] == {path: False for path in secret_paths}
    assert result["home_writable"] is True
    assert result["datasets_writable"] is False
    assert result["homes_visible"] == ["jovyan"] and result["foreign_processes"] == []
    assert result["arena_env"] == ["ARENA_CHALLENGES_DIR", "ARENA_DATASETS_DIR", "ARENA_SCORING_URL"]
    assert result["reachable"] == {**{f"{h}:{p}": False for h, p in blocked}, f"{host_ip}:{settings.hub_port}": True}


def test_sandbox_files_land_in_the_users_home_owned_by_the_sandbox_uid(
    platform: harness.HubProcess, alice_token: str
) -> None:
    home = platform.settings.homes_dir / "alice"

    harness.run_code(platform, "alice", alice_token, "open('/home/jovyan/result.csv', 'w').write('id,y\\n1,0\\n')")

    assert (home / "result.csv").read_text() == "id,y\n1,0\n"
    assert (home / "result.csv").stat().st_uid == platform.settings.sandbox_uid_base + 1
    assert home.stat().st_mode & 0o777 == 0o700


def test_wrong_password_is_refused(platform: harness.HubProcess) -> None:
    with pytest.raises(AssertionError, match="log-in of 'alice' failed"):
        harness.login(platform, "alice", "not-the-password")


def test_sandboxes_cannot_reach_each_other(platform: harness.HubProcess, alice_token: str) -> None:
    harness.spawn(platform, "bob", PASSWORD)
    bob = network_for(platform.settings, 2)
    probe = (
        "import socket\n"
        "try:\n"
        f"    socket.create_connection(({bob.sandbox_ip!r}, 8888), timeout=1.5).close(); print('reached')\n"
        "except OSError as error:\n"
        "    print('blocked', error)\n"
    )

    from_alice = harness.run_code(platform, "alice", alice_token, probe)

    assert from_alice.startswith("blocked"), from_alice
    assert platform.api("GET", "/users/bob").json()["servers"][""]["ready"] is True  # the hub still reaches bob


def test_stopping_servers_removes_their_networks_and_processes(
    platform: harness.HubProcess, alice_token: str
) -> None:
    for name in ("alice", "bob"):
        assert platform.api("DELETE", f"/users/{name}/server").status_code in (202, 204)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and harness.leftover_sandboxes(platform.settings):
        time.sleep(0.2)

    assert harness.leftover_sandboxes(platform.settings) == []
    assert harness.sandbox_processes(platform.settings) == []
    assert platform.log().count("received signal 15, stopping") == 2  # each server shut down cleanly
