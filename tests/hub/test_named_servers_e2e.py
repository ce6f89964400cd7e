"""End to end: one user's default server and named server ``challenge-a`` under the bubblewrap spawner.

Each is a sandbox of its own (own network namespace and addresses, own process namespace) on
the user's one home (one mount, one loop device): a file written in one is read in the other.
The hub restarts in between (the spawner then finds each server's network in its state);
stopping one server keeps the other working and the home mounted; stopping both leaves no
namespace, veth pair, mount or loop device (``harness.hub_running`` checks that on exit).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid
from pathlib import Path

import harness
import pytest

from hub import network_for
from hub.home_quota import home_mounts

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(harness.e2e_missing() is not None, reason=str(harness.e2e_missing()))]

PASSWORD = "named-servers-pw"
NAMED = "challenge-a"

WHOAMI = """
import json, os, socket
probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
probe.connect((os.environ["ARENA_SCORING_URL"].split("/")[2].split(":")[0], 9))
namespaces = {kind: os.readlink(f"/proc/self/ns/{kind}") for kind in ("net", "pid")}
print(json.dumps({"ip": probe.getsockname()[0], "uid": os.getuid(), **namespaces}))
"""


def whoami(hub: harness.HubProcess, token: str, server: str = "") -> dict[str, object]:
    return json.loads(harness.run_code(hub, "mai", token, WHOAMI, server=server))


def namespaces() -> list[str]:
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()


def loop_devices(hub: harness.HubProcess) -> list[str]:
    listing = subprocess.run(["losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE"],
                             capture_output=True, text=True).stdout
    return [line for line in listing.splitlines() if str(hub.settings.homes_dir) in line]


def stop_server(hub: harness.HubProcess, server: str = "", timeout: float = 60) -> None:
    """Stop mai's default (or named) server through the API and wait until the hub says it stopped."""
    hub.api("DELETE", harness.server_api_path("mai", server)).raise_for_status()
    deadline = time.monotonic() + timeout
    while server in hub.api("GET", "/users/mai").json()["servers"]:
        assert time.monotonic() < deadline, f"server {server!r} did not stop:\n{hub.log()[-3000:]}"
        time.sleep(0.2)


def restart_hub(hub: harness.HubProcess) -> None:
    """Restart the hub alone (the sandboxes keep running); ``hub`` then drives the new process."""
    hub.process.send_signal(signal.SIGTERM)
    hub.process.wait(60)
    hub.process = harness.start_hub(hub.settings, managed_services=False).process


def test_default_and_named_server_are_separate_sandboxes_on_one_home(e2e_root: Path) -> None:
    data_dir = e2e_root / f"arena-named-{uuid.uuid4().hex[:8]}"
    users = {"mai": PASSWORD}
    overrides = {"sandbox_network_prefix": "10.217", "sandbox_named_servers": 2}
    with harness.running_platform(data_dir, users, managed_services=False, **overrides) as hub:
        settings = hub.settings
        token, _ = harness.spawn(hub, "mai", PASSWORD)
        harness.start_server(hub, "mai", token, server=NAMED)
        default, named = network_for(settings, 1, 0), network_for(settings, 1, 1)

        first, second = whoami(hub, token), whoami(hub, token, NAMED)

        assert (first["ip"], second["ip"]) == (default.sandbox_ip, named.sandbox_ip)
        assert first["uid"] == second["uid"] == settings.sandbox_uid_base + 1
        assert first["net"] != second["net"] and first["pid"] != second["pid"]
        assert {default.namespace, named.namespace} <= set(namespaces())
        assert len(loop_devices(hub)) == 1 and home_mounts(settings) == [settings.homes_dir / "mai"]
        harness.run_code(hub, "mai", token, "open('/home/jovyan/shared.txt', 'w').write('from default')")
        read = "print(open('/home/jovyan/shared.txt').read())"
        assert harness.run_code(hub, "mai", token, read, server=NAMED).strip() == "from default"

        restart_hub(hub)
        stop_server(hub)  # the default one: its network goes, the named one keeps its network and the home

        assert default.namespace not in namespaces() and named.namespace in namespaces()
        assert home_mounts(settings) == [settings.homes_dir / "mai"] and len(loop_devices(hub)) == 1
        write = "open('/home/jovyan/later.txt', 'w').write('still here')\n" + read
        assert harness.run_code(hub, "mai", token, write, server=NAMED).strip() == "from default"
        assert whoami(hub, token, NAMED)["ip"] == named.sandbox_ip

        stop_server(hub, NAMED)

        assert harness.leftover_sandboxes(settings) == []
        harness.start_server(hub, "mai", token)  # the home comes back with what the named server wrote
        assert harness.run_code(hub, "mai", token, "print(open('later.txt').read())").strip() == "still here"
