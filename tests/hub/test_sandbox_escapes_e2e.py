"""End to end: escape attempts from a real bubblewrap sandbox, each failing the way it should.

A real hub (with the scoring service) runs competitors alice and bob; code runs in real
kernels inside their sandboxes, through a real Linux kernel:

- a fork bomb stops at the process limit (``prlimit --nproc``) with EAGAIN, while the hub
  keeps answering and another competitor's sandbox keeps working;
- writing a file bigger than ``sandbox_max_file_bytes`` stops at exactly that size with EFBIG
  (``prlimit --fsize``); many smaller files fill the home up to its quota and then fail with
  ENOSPC (the home is an ext4 image of ``sandbox_disk_quota_mb``, loop-mounted), while the hub,
  another competitor's home and a new kernel in the full sandbox keep working; /tmp (a tmpfs,
  i.e. RAM) is full at ``sandbox_tmp_bytes`` (ENOSPC);
- the root and /dev are read-only: writing 1 GiB anywhere but the home and /tmp fails at once
  (EROFS), /dev/shm is a tmpfs full at ``sandbox_shm_bytes``;
- memory allocated across several processes stops at the sandbox's cgroup limit (the kernel's
  OOM killer ends the biggest of them), while the hub and another sandbox keep working;
- a sandbox whose server is killed from outside is torn down within the poll interval (its
  network namespace, home mount, loop device and cgroup gone);
- no name resolves and no outside address is routable (the namespace has no default route);
- a user's token does not open another user's server or account, and a made-up or revoked
  token cannot submit to the scoring service.

Reading the answers file and seeing other users' processes are covered by
``test_sandbox_e2e.py`` (``readable`` and ``foreign_processes`` of its probe).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import harness
import httpx
import pytest

from arena.accounts import find_user
from arena.cgroups import Cgroup, cgroup_mode
from arena.db import Database
from hub.home_quota import home_image, home_mounts, loop_quota_missing
from hub.network import network_for
from hub.sandbox_cgroup import sandbox_cgroup_name

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(harness.e2e_missing() is not None, reason=str(harness.e2e_missing()))]

PASSWORD = "correct-horse-battery"
FILE_LIMIT = 8 * 1024**2  # small, so that hitting it is quick
TMP_LIMIT = 3 * FILE_LIMIT  # /tmp is a tmpfs (RAM): capped
QUOTA_MB = 32  # each home: a 32 MiB ext4 image, four files' worth
SHM_LIMIT = 4 * 1024**2
MEMORY_LIMIT = 768 * 1024**2  # the server and a kernel fit; four 300 MiB children do not
POLL_SECONDS = 2
NETWORK_PREFIX = "10.216"  # apart from the other end-to-end modules, which may run at the same time


@pytest.fixture(scope="module")
def platform(e2e_root: Path) -> Iterator[harness.HubProcess]:
    """The real hub with its managed services, competitors alice and bob."""
    data_dir = e2e_root / f"arena-escapes-{uuid.uuid4().hex[:8]}"
    users = {"alice": PASSWORD, "bob": PASSWORD, "carol": PASSWORD, "erin": PASSWORD}
    overrides = {
        "sandbox_max_file_bytes": FILE_LIMIT,
        "sandbox_tmp_bytes": TMP_LIMIT,
        "sandbox_shm_bytes": SHM_LIMIT,
        "sandbox_mem_bytes": MEMORY_LIMIT,
        "sandbox_poll_seconds": POLL_SECONDS,
        "sandbox_disk_quota_mb": QUOTA_MB,
        "sandbox_network_prefix": NETWORK_PREFIX,
    }
    with harness.running_platform(data_dir, users, managed_services=True, **overrides) as hub:
        yield hub


@pytest.fixture(scope="module")
def tokens(platform: harness.HubProcess) -> dict[str, str]:
    """Both competitors logged in with their servers running: name → API token."""
    return {name: harness.spawn(platform, name, PASSWORD)[0] for name in ("alice", "bob")}


FORK_BOMB = """
import errno, json, os, signal, time
children, refused = [], None
while refused is None and len(children) < 100_000:
    try:
        pid = os.fork()
    except OSError as error:
        refused = errno.errorcode[error.errno]
        break
    if pid == 0:
        time.sleep(300)
        os._exit(0)
    children.append(pid)
open("/home/jovyan/bomb-held", "w").write(str(len(children)))
deadline = time.monotonic() + 90
while not os.path.exists("/home/jovyan/bomb-release") and time.monotonic() < deadline:
    time.sleep(0.2)
for pid in children:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
child = os.fork()
if child == 0:
    os._exit(0)
os.waitpid(child, 0)
print(json.dumps({"forked": len(children), "refused": refused, "forks_again": True}))
"""


BOB_FORKS = "import os\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nos.waitpid(pid, 0)\nprint('bob forks')"


def test_fork_bomb_stops_at_the_process_limit_and_the_platform_stays_up(
    platform: harness.HubProcess, tokens: dict[str, str]
) -> None:
    home = platform.settings.homes_dir / "alice"
    outcome: dict[str, str] = {}
    bomb = threading.Thread(
        target=lambda: outcome.update(out=harness.run_code(platform, "alice", tokens["alice"], FORK_BOMB))
    )
    bomb.start()
    deadline = time.monotonic() + 120
    while not (home / "bomb-held").exists() and bomb.is_alive() and time.monotonic() < deadline:
        time.sleep(0.2)

    # while alice's sandbox is at its process limit: the hub answers, bob's sandbox runs code
    held = (home / "bomb-held").read_text()
    hub_status = platform.api("GET", "/").status_code
    bob_output = harness.run_code(platform, "bob", tokens["bob"], BOB_FORKS)
    (home / "bomb-release").write_text("")
    bomb.join(120)
    result = json.loads(outcome["out"])

    assert result["refused"] == "EAGAIN" and result["forks_again"] is True
    assert 0 < result["forked"] == int(held) < platform.settings.sandbox_max_processes
    assert hub_status == 200 and bob_output.strip() == "bob forks"
    assert harness.run_code(platform, "alice", tokens["alice"], "print(6 * 7)").strip() == "42"
    assert platform.process.poll() is None


FILL_DISK = """
import errno, json, os
def fill(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    written, chunk = 0, b"x" * 1024**2
    try:
        while written <= LIMIT:
            written += os.write(fd, chunk)
        return written, None
    except OSError as error:
        return written, errno.errorcode[error.errno]
    finally:
        os.close(fd)
def fill_up(folder):
    total, error = 0, "EFBIG"
    for index in range(100):  # more files, each within the file-size limit, until the file system is full
        written, error = fill(f"{folder}/more-{index}.bin")
        total += written
        if error != "EFBIG":
            break
    return [total, error]
result = {"home": fill("/home/jovyan/big.bin"), "tmp": fill("/tmp/big.bin")}
result["home_full"], result["tmp_full"] = fill_up("/home/jovyan"), fill_up("/tmp")
for name in [name for name in os.listdir("/tmp") if name.endswith(".bin")]:
    os.remove(f"/tmp/{name}")
print(json.dumps(result))
"""
FREE_HOME = """
import os
for name in [name for name in os.listdir("/home/jovyan") if name.endswith(".bin")]:
    os.remove(f"/home/jovyan/{name}")
open("/home/jovyan/after.txt", "w").write("room again")
print(open("/home/jovyan/after.txt").read())
"""


@pytest.mark.skipif(loop_quota_missing() is not None, reason=f"no home quota here: {loop_quota_missing()}")
def test_files_stop_at_the_size_limit_and_the_home_and_tmp_fill_up_at_their_caps(
    platform: harness.HubProcess, tokens: dict[str, str]
) -> None:
    quota = QUOTA_MB * 1024**2
    code = f"LIMIT = {FILE_LIMIT}\n{FILL_DISK}"

    result = json.loads(harness.run_code(platform, "alice", tokens["alice"], code))
    home_used = FILE_LIMIT + result["home_full"][0]
    host_file = (platform.settings.homes_dir / "alice" / "big.bin").stat().st_size
    image = home_image(platform.settings, "alice").stat()
    # while alice's home is full: the hub answers, bob writes to his home, alice's new kernel runs
    hub_status = platform.api("GET", "/").status_code
    bob = harness.run_code(platform, "bob", tokens["bob"], "print(open('/home/jovyan/b.txt', 'w').write('b' * 10**6))")
    alice_again = harness.run_code(platform, "alice", tokens["alice"], "print(6 * 7)")
    freed = harness.run_code(platform, "alice", tokens["alice"], FREE_HOME)

    assert result["home"] == [FILE_LIMIT, "EFBIG"] and result["tmp"] == [FILE_LIMIT, "EFBIG"]
    assert result["home_full"][1] == "ENOSPC" and quota / 2 < home_used <= quota, result
    assert result["tmp_full"][1] == "ENOSPC" and FILE_LIMIT < result["tmp_full"][0] <= TMP_LIMIT - FILE_LIMIT
    assert host_file == FILE_LIMIT and image.st_size == quota and image.st_blocks * 512 <= quota
    assert hub_status == 200 and bob.strip() == str(10**6) and alice_again.strip() == "42"
    assert freed.strip() == "room again"


WRITE_OUTSIDE = """
import errno, json, os
def fill(path, limit=1024**3):
    written, chunk = 0, b"x" * 1024**2
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    except OSError as error:
        return [0, errno.errorcode[error.errno]]
    try:
        while written < limit:
            written += os.write(fd, chunk)
        return [written, None]
    except OSError as error:
        return [written, errno.errorcode[error.errno]]
    finally:
        os.close(fd)
        if os.path.exists(path):
            os.remove(path)
paths = ["/fill.bin", "/opt/fill.bin", "/etc/fill.bin", "/var/fill.bin", "/dev/fill.bin", "/usr/fill.bin",
         "/datasets/fill.bin", "/challenges/fill.bin", os.environ["VIRTUAL_ENV"] + "/fill.bin"]
result = {path: fill(path) for path in paths}
result["/dev/shm/fill.bin"] = fill("/dev/shm/fill.bin")
result["mkdir /newdir"] = fill("/newdir/x")
print(json.dumps(result))
"""


def test_nothing_outside_the_home_and_tmp_is_writable(platform: harness.HubProcess, tokens: dict[str, str]) -> None:
    result = json.loads(harness.run_code(platform, "alice", tokens["alice"], WRITE_OUTSIDE))

    shm = result.pop("/dev/shm/fill.bin")
    assert shm[1] == "ENOSPC" and shm[0] <= SHM_LIMIT, shm
    for path, (written, error) in result.items():
        assert written == 0 and error in ("EROFS", "EACCES", "ENOENT"), (path, written, error)
    assert result["/opt/fill.bin"][1] == result["/etc/fill.bin"][1] == result["/fill.bin"][1] == "EROFS"


MEMORY_HOG = """
import json, os, time
SIZE = 300 * 1024**2
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = bytearray(SIZE)
        for offset in range(0, SIZE, 4096):
            block[offset] = 1
        time.sleep(8)
        os._exit(0)
    children.append(pid)
ends = [os.waitpid(pid, 0)[1] for pid in children]
print(json.dumps({"killed": sum(os.WIFSIGNALED(e) and os.WTERMSIG(e) == 9 for e in ends),
                  "finished": sum(os.WIFEXITED(e) and os.WEXITSTATUS(e) == 0 for e in ends)}))
"""


def _sandbox_cgroup(platform: harness.HubProcess, name: str) -> Cgroup:
    database = Database(platform.settings.db_url)
    with database.session() as session:
        arena_id = find_user(session, name).id
    database.dispose()
    return Cgroup.existing(sandbox_cgroup_name(network_for(platform.settings, arena_id)))


@pytest.mark.skipif(cgroup_mode() == "none", reason="no usable cgroup hierarchy here")
def test_memory_across_processes_stops_at_the_sandbox_limit(
    platform: harness.HubProcess, tokens: dict[str, str]
) -> None:
    group = _sandbox_cgroup(platform, "alice")
    assert group.exists and group.pids(), "alice's server runs in its own cgroup"

    hog = {}
    thread = threading.Thread(target=lambda: hog.update(out=harness.run_code(platform, "alice", tokens["alice"],
                                                                            MEMORY_HOG)))
    thread.start()
    time.sleep(3)  # the children are allocating: the hub and bob's sandbox meanwhile
    hub_status = platform.api("GET", "/").status_code
    bob = harness.run_code(platform, "bob", tokens["bob"], "print(len(bytearray(100 * 1024**2)))")
    thread.join(120)
    result = json.loads(hog["out"])

    assert result["killed"] >= 1 and result["killed"] + result["finished"] == 4, result
    assert group.oom_kills() >= 1 or group.memory_limit_hits() >= 1
    assert group.memory_peak_bytes() is None or group.memory_peak_bytes() <= MEMORY_LIMIT
    assert hub_status == 200 and bob.strip() == str(100 * 1024**2)
    assert harness.run_code(platform, "alice", tokens["alice"], "print(6 * 7)").strip() == "42"


def _server_pid(uid: int) -> int:
    listing = subprocess.run(["ps", "-ww", "-eo", "uid=,pid=,args="], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        owner, pid, args = line.split(maxsplit=2)
        if int(owner) == uid and "jupyterhub-singleuser" in args and not args.startswith("bwrap"):
            return int(pid)
    raise AssertionError(f"no server process of uid {uid}")


def test_a_sandbox_killed_from_outside_is_torn_down_within_the_poll_interval(platform: harness.HubProcess) -> None:
    harness.spawn(platform, "carol", PASSWORD)
    database = Database(platform.settings.db_url)
    with database.session() as session:
        arena_id = find_user(session, "carol").id
    database.dispose()
    network = network_for(platform.settings, arena_id)
    home = platform.settings.homes_dir / "carol"
    group = Cgroup.existing(sandbox_cgroup_name(network)) if cgroup_mode() != "none" else None

    def left() -> list[str]:
        things = [network.namespace] if Path(network.netns_path).exists() else []
        things += [str(point) for point in home_mounts(platform.settings) if point == home]
        things += [f"cgroup {group.name}"] if group is not None and group.exists else []
        return things

    assert len(left()) == (3 if group is not None and loop_quota_missing() is None else len(left()))
    os.kill(_server_pid(platform.settings.sandbox_uid_base + arena_id), signal.SIGKILL)
    killed = time.monotonic()
    while left() and time.monotonic() - killed < 2 * POLL_SECONDS + 5:
        time.sleep(0.2)

    gone_after = time.monotonic() - killed
    print(f"\ncarol's sandbox torn down {gone_after:.1f} s after its server was killed (poll every {POLL_SECONDS} s)")

    assert left() == [], left()
    assert gone_after < 2 * POLL_SECONDS + 5
    leftovers = harness.leftover_sandboxes(platform.settings)
    assert not [item for item in leftovers if "carol" in item or item == network.namespace], leftovers
    assert platform.api("GET", "/users/carol").json()["servers"] == {}


def test_a_spawn_the_platform_refuses_is_a_clear_403_not_a_500(platform: harness.HubProcess) -> None:
    browser = harness.login(platform, "erin", PASSWORD)
    database = Database(platform.settings.db_url)
    with database.session() as session:  # erin's arena account goes while she is logged in to the hub
        find_user(session, "erin").name = "erin-removed"
    database.dispose()
    assert platform.api("POST", "/users/frank").status_code == 201  # a hub user without an arena account

    page = browser.get("/hub/spawn/erin")
    api = platform.api("POST", "/users/frank/server")

    reason = "has no arena account, so no sandbox can start"
    assert page.status_code == 403 and f"&#39;erin&#39; {reason}" in page.text, page.text[-2000:]
    assert api.status_code == 403 and api.json()["message"].startswith(f"'frank' {reason}"), api.text
    log = platform.log()
    assert "Unhandled error starting" not in log and "SpawnRefused" not in log and "SandboxSetupError" not in log


OUTSIDE = """
import errno, json, os, socket
def resolve(name):
    try:
        return socket.getaddrinfo(name, 443)[0][4][0]
    except socket.gaierror as error:
        return "gaierror"
def connect(host, port):
    try:
        socket.create_connection((host, port), timeout=3).close()
        return "connected"
    except OSError as error:
        return errno.errorcode.get(error.errno, str(error))
def send_udp(host, port):
    try:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", (host, port))
        return "sent"
    except OSError as error:
        return errno.errorcode.get(error.errno, str(error))
routes = [line.split()[1] for line in open("/proc/net/route").read().splitlines()[1:]]
print(json.dumps({
    "resolve": {name: resolve(name) for name in ("pypi.org", "github.com")},
    "connect": {host: connect(host, 443) for host in ("1.1.1.1", "151.101.0.223", HOST_NAMESERVER)},
    "udp_dns": send_udp("8.8.8.8", 53),
    "default_route": "00000000" in routes,
    "resolv_conf": os.path.exists("/etc/resolv.conf"),
}))
"""


def _host_nameserver() -> str:
    """The host's first nameserver (the sandbox must not reach it either)."""
    lines = Path("/etc/resolv.conf").read_text().splitlines() if Path("/etc/resolv.conf").exists() else []
    servers = [line.split()[1] for line in lines if line.startswith("nameserver") and "." in line]
    return servers[0] if servers else "9.9.9.9"


def test_no_name_resolves_and_no_outside_address_is_routable(
    platform: harness.HubProcess, tokens: dict[str, str]
) -> None:
    nameserver = _host_nameserver()
    code = f"HOST_NAMESERVER = {nameserver!r}\n{OUTSIDE}"

    result = json.loads(harness.run_code(platform, "alice", tokens["alice"], code))

    assert result["resolve"] == {"pypi.org": "gaierror", "github.com": "gaierror"}
    assert result["connect"] == {host: "ENETUNREACH" for host in ("1.1.1.1", "151.101.0.223", nameserver)}
    assert result["udp_dns"] == "ENETUNREACH"
    assert result["default_route"] is False and result["resolv_conf"] is False


SERVER_TOKEN_ON_THE_HUB = """
import json, os, httpx
api, token = os.environ["JUPYTERHUB_API_URL"], os.environ["JUPYTERHUB_API_TOKEN"]
headers = {"Authorization": f"token {token}"}
print(json.dumps({
    "read bob": httpx.get(f"{api}/users/bob", headers=headers).status_code,
    "token for bob": httpx.post(f"{api}/users/bob/tokens", headers=headers, json={}).status_code,
    "stop bob": httpx.delete(f"{api}/users/bob/server", headers=headers).status_code,
    "token for alice": httpx.post(f"{api}/users/alice/tokens", headers=headers, json={}).status_code,
}))
"""


def test_a_users_token_does_not_open_another_users_server_or_account(
    platform: harness.HubProcess, tokens: dict[str, str]
) -> None:
    alice = {"Authorization": f"token {tokens['alice']}"}

    bobs_server = httpx.get(f"{platform.url}/user/bob/api/contents", headers=alice, timeout=30)
    bobs_kernel = httpx.post(f"{platform.url}/user/bob/api/kernels", headers=alice, json={}, timeout=30)
    stop_bob = platform.api("DELETE", "/users/bob/server", token=tokens["alice"])
    from_sandbox = json.loads(harness.run_code(platform, "alice", tokens["alice"], SERVER_TOKEN_ON_THE_HUB))

    assert bobs_server.status_code == 403 and bobs_kernel.status_code == 403
    assert stop_bob.status_code in (403, 404)
    assert all(status in (403, 404) for status in from_sandbox.values()), from_sandbox
    assert platform.api("GET", "/users/bob").json()["servers"][""]["ready"] is True


SUBMIT_WITH = """
import os, httpx
for name, token in TOKENS.items():
    response = httpx.post(
        os.environ["ARENA_SCORING_URL"] + "/api/challenges/any/submissions",
        headers={"Authorization": f"token {token}"},
        files={"file": ("submission.csv", b"person_id,y\\n1,0\\n")},
    )
    print(name, response.status_code, response.json()["detail"])
"""


def test_scoring_refuses_a_made_up_or_revoked_token(platform: harness.HubProcess, tokens: dict[str, str]) -> None:
    client = harness.login(platform, "bob", PASSWORD)
    created = client.post("/hub/api/users/bob/tokens", json={"note": "soon revoked"}).json()
    assert client.delete(f"/hub/api/users/bob/tokens/{created['id']}").status_code == 204
    stolen = {"made-up": uuid.uuid4().hex, "revoked": created["token"]}

    output = harness.run_code(platform, "alice", tokens["alice"], f"TOKENS = {stolen!r}\n{SUBMIT_WITH}")

    refusal = "401 the hub does not accept this token for the scoring service"
    assert output.splitlines() == [f"made-up {refusal}", f"revoked {refusal}"]
