"""The production path on a real Docker engine: docker-compose.yml up, DockerSpawner sandboxes, end to end.

Run by ``make test-compose`` (marker ``compose``, left out of ``make test``: building the images
takes longer than CI's budget allows). The images are those of ``deploy/build-images.sh``; the
PostgreSQL image is ``ARENA_COMPOSE_POSTGRES_IMAGE`` (default: the local stand-in of
``deploy/local-bases.sh``). The tests run in file order on one stack:

1. ``docker compose up -d``, healthy; an organiser publishes the example challenge in the hub container.
2. A competitor logs in through the form; DockerSpawner starts a sandbox container on the internal
   network; a real kernel in it runs the challenge's starter notebook (load the replicas, train,
   submit); a worker container scores it; the judge sees the private board, the competitor is refused it.
   The example challenge is in code mode: the starter's ``submit_code`` is run by the worker through
   the Docker enclave runner (one ``docker run --network none`` container of the sandbox image).
3. Escape probes in that container: no route out, no database, no answers volume, no capabilities,
   memory and pids limits enforced, datasets read-only.
4. Escape probes from inside an enclave container: a code submission probes, the test inspects its
   container while it runs (no network, caps dropped, read-only root and code/features, its own uid,
   memory and pids limits), reads the probes' findings in the organiser's run log, and sees it scored.
5. ``arena doctor`` in the hub container: all OK.
6. ``--scale worker=3`` while 200 submissions (CSV, to a predictions-mode challenge) arrive: none
   lost, none scored twice, the queue drains.
7. ``arena db backup`` in the hub container, restored into a fresh PostgreSQL container: same rows.
8. ``docker compose down -v``: nothing of the platform left on the engine, no staged run on the host.

Network traffic: this host's own addresses only (the published port, the bridge gateway).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from challenge_bundles import answers_frame, base_spec, open_phases, write_bundle
from compose_stack import HubInCompose, Phases, Stack, bridge_gateway, docker, engine_missing, free_loopback_address
from deploy_files import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tests" / "hub"))
import harness

from arena.settings import Settings
from scoring.enclave.bwrap import CODE_DIR, FEATURES_FILE, OUTPUT_DIR
from scoring.enclave.outcome import CodeLimits

VERSION = "0.1.0"
IMAGES = (f"data-arena/hub:{VERSION}", f"data-arena/scoring:{VERSION}", f"data-arena/sandbox:{VERSION}")
POSTGRES_IMAGE = os.environ.get("ARENA_COMPOSE_POSTGRES_IMAGE", "arena-local/postgres:15-bookworm")
SLUG = "household-income-band"
LOAD_SLUG = "load-check"
"""A predictions-mode challenge for the scale-out run (CSV submissions: scoring, not code runs, is what is loaded)."""
ENCLAVE_UID_BASE = Settings.model_fields["enclave_uid_base"].default
LOAD_SUBMISSIONS = 200
PER_DAY = 5  # the example challenge's daily quota per team (challenges/example_kit.py)
WORKERS = 3

pytestmark = [
    pytest.mark.compose,
    pytest.mark.skipif(engine_missing(IMAGES) is not None, reason=str(engine_missing(IMAGES))),
]

PHASES = Phases()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The platform up and healthy, the example challenge published, three people: lan, minh, hoa."""
    stack = Stack(tmp_path_factory.mktemp("compose") / "env", address=free_loopback_address(8000))
    stack.write_env(POSTGRES_IMAGE)
    print(
        f"\nengine: {docker('version', '--format', '{{.Server.Version}}').strip()}, "
        f"{docker('compose', 'version').strip()}, hub on {stack.url}"
    )
    with PHASES("clean slate (compose down -v)"):
        stack.compose("down", "-v", "--remove-orphans")
    try:
        with PHASES("compose up -d (migrate, postgres, hub, worker)"):
            stack.compose("up", "-d", "--no-build", "--wait", "--wait-timeout", "180", "postgres")
            stack.compose("up", "-d", "--no-build")
            subprocess.run(["bash", str(REPO_ROOT / "deploy" / "sandbox-firewall.sh"), "add"], check=True)
        with PHASES("hub and scoring service healthy"):
            stack.wait_healthy()
        with PHASES("seed: users + example challenge fitted and published"):
            stack.people = {name: secrets.token_urlsafe(9) for name in ("lan", "minh", "hoa")}
            for name, role in (("lan", "competitor"), ("minh", "organiser"), ("hoa", "judge")):
                stack.hub("arena", "users", "add", name, "--role", role, "--password", stack.people[name])
            stack.hub(
                "arena",
                "challenge",
                "make-example",
                SLUG,
                "--out",
                "/srv/arena/hub/bundles",
                "--people",
                "2000",
                "--seed",
                "7",
                "--publish",
                "--actor",
                "minh",
            )
        yield stack
    finally:
        print("\n" + PHASES.table(), flush=True)
        subprocess.run(["bash", str(REPO_ROOT / "deploy" / "sandbox-firewall.sh"), "remove"], check=False)
        stack.compose("down", "-v", "--remove-orphans", check=False)
        for name in stack.leftovers()["containers"]:
            docker("rm", "-f", name, check=False)
        stack.compose("down", "-v", "--remove-orphans", check=False)
        shutil.rmtree(stack.stage_dir, ignore_errors=True)  # the slots' lock files (a host folder, not a volume)


@pytest.fixture(scope="module")
def hub(stack: Stack) -> HubInCompose:
    """The compose hub for the harness's helpers."""
    return HubInCompose(stack)


@pytest.fixture(scope="module")
def lan(hub: HubInCompose, stack: Stack) -> str:
    """The competitor's API token, her sandbox container started by DockerSpawner."""
    with PHASES("log in + DockerSpawner sandbox ready"):
        token, _seconds = harness.spawn(hub, "lan", stack.people["lan"])
    return token


def sandbox_container() -> str:
    """The name of the one running sandbox container (DockerSpawner's prefix)."""
    names = docker("ps", "--filter", "name=arena-sandbox", "--format", "{{.Names}}").split()
    assert len(names) == 1, names
    return names[0]


def scoring_api(stack: Stack, token: str, path: str) -> Any:
    """GET a scoring-service route through the hub's proxy."""
    response = httpx.get(
        f"{stack.url}/services/scoring/api{path}", headers={"Authorization": f"token {token}"}, timeout=30
    )
    response.raise_for_status()
    return response.json()


def test_competitor_submits_from_a_docker_sandbox_and_the_judge_sees_the_private_board(
    stack: Stack, hub: HubInCompose, lan: str
) -> None:
    with PHASES("starter notebook in the sandbox kernel: load, train, submit, scored"):
        script = harness.starter_script(stack.hub("cat", f"/srv/arena/challenges/{SLUG}/starter.ipynb"))
        output = harness.run_code(hub, "lan", lan, script, timeout=300)
    print(output)
    own = scoring_api(stack, lan, f"/challenges/{SLUG}/submissions")
    harness.check_starter_submission(output, own)
    assert (own[0]["kind"], own[0]["outcome"]) == ("code", "ok")
    # run by a worker in an enclave container (the Docker runner), as its run log says
    run_log = stack.hub("arena", "challenge", "run-log", str(own[0]["id"]), "--actor", "minh")
    assert "[enclave: ok after" in run_log, run_log

    harness.check_private_board(hub, lan, ("hoa", stack.people["hoa"]), SLUG, "lan")


PROBES = r"""
import json, os, socket, subprocess, sys
found = {}
status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\t" in line)
found["caps"] = {key: status[key].strip() for key in ("CapEff", "CapPrm", "CapBnd", "NoNewPrivs")}
found["uid"] = os.getuid()
found["default_route"] = any(line.split()[1] == "00000000" for line in open("/proc/net/route").read().splitlines()[1:])
def connect(host, port):
    try:
        socket.create_connection((host, port), timeout=3).close()
        return "connected"
    except OSError as error:
        return type(error).__name__
found["connect"] = {f"{host}:{port}": connect(host, port) for host, port in TARGETS}
mounts = open("/proc/self/mounts").read()
found["answers_mounted"] = "answers" in mounts or os.path.exists("/srv/arena/answers")
try:
    open("/datasets/probe.txt", "w").write("x")
    found["datasets_write"] = "written"
except OSError as error:
    found["datasets_write"] = type(error).__name__ + " " + str(error.errno)
MEMORY = "data = b'x' * MEMORY_BYTES\nprint('allocated')"
memory = subprocess.run([sys.executable, "-c", MEMORY], capture_output=True, text=True)
found["memory_returncode"] = memory.returncode
found["forks"] = subprocess.run([sys.executable, "-c", FORKS], capture_output=True, text=True).stdout.strip()
print("PROBES", json.dumps(found))
"""

FORKS = """
import os, time
kids = []
try:
    for _ in range(1000):
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        kids.append(pid)
    print("forked", len(kids))
except OSError as error:
    print("refused", len(kids), type(error).__name__)
for pid in kids:
    os.kill(pid, 9)
for pid in kids:
    os.waitpid(pid, 0)
"""
"""Fork until refused (a pids limit), in a child process of the probe; prints ``refused N ERROR`` or ``forked N``."""


def container_address(stack: Stack, service: str) -> str:
    """The IP address of ``service``'s (first) container on its first network."""
    networks = json.loads(docker("inspect", stack.container_ids(service)[0]))[0]["NetworkSettings"]["Networks"]
    return next(iter(networks.values()))["IPAddress"]


def test_sandbox_container_cannot_escape(stack: Stack, hub: HubInCompose, lan: str) -> None:
    settings = Settings()
    name = sandbox_container()
    inspected = json.loads(docker("inspect", name))[0]
    host_config = inspected["HostConfig"]
    postgres_ip = container_address(stack, "postgres")
    gateway = bridge_gateway()
    sandbox_gateway = json.loads(docker("network", "inspect", "data-arena-sandboxes"))[0]["IPAM"]["Config"][0]
    sandbox_gateway = sandbox_gateway.get("Gateway") or sandbox_gateway["Subnet"].rsplit(".", 1)[0] + ".1"
    host_ports = [(address, port) for address in (gateway, sandbox_gateway) for port in (22, 5432, 8000)]
    targets = [("postgres", 5432), (postgres_ip, 5432), *host_ports, ("hub", 8081), ("hub", 8090)]
    code = (
        PROBES.replace("TARGETS", repr(targets))
        .replace("MEMORY_BYTES", str(settings.sandbox_mem_bytes + 512 * 1024**2))
        .replace("FORKS", repr(FORKS))
    )
    with PHASES("escape probes in the sandbox container"):
        output = harness.run_code(hub, "lan", lan, code, timeout=300)
    found = json.loads(output.split("PROBES ", 1)[1])
    print(json.dumps(found, indent=1))

    # the container as DockerSpawner made it
    assert host_config["CapDrop"] == ["ALL"] and "no-new-privileges" in host_config["SecurityOpt"]
    assert (
        host_config["Memory"] == settings.sandbox_mem_bytes
        and host_config["PidsLimit"] == settings.sandbox_max_processes
    )
    assert list(inspected["NetworkSettings"]["Networks"]) == ["data-arena-sandboxes"]
    mounts = {mount["Destination"]: mount for mount in inspected["Mounts"]}
    assert set(mounts) == {"/home/jovyan", "/datasets", "/challenges"}
    assert not mounts["/datasets"]["RW"] and not mounts["/challenges"]["RW"] and mounts["/home/jovyan"]["RW"]
    # and what a kernel in it sees
    assert found["uid"] == 1000
    assert found["caps"] == {
        "CapEff": "0000000000000000",
        "CapPrm": "0000000000000000",
        "CapBnd": "0000000000000000",
        "NoNewPrivs": "1",
    }
    # Docker gives an internal network's containers a default route to the host, which forwards nothing
    # out (the database on another network times out) but would answer itself: the firewall drops that.
    assert [f"{a}:{p}" for a, p in host_ports if found["connect"][f"{a}:{p}"] != "TimeoutError"] == [], found
    assert found["connect"]["postgres:5432"] == "gaierror", "the database's name resolves in a sandbox"
    assert found["connect"][f"{postgres_ip}:5432"] != "connected", "the database answers a sandbox"
    assert found["connect"]["hub:8081"] == found["connect"]["hub:8090"] == "connected", "hub API and scoring"
    assert found["answers_mounted"] is False
    assert found["datasets_write"].startswith("OSError 30"), found["datasets_write"]  # EROFS
    assert found["memory_returncode"] == -9, "an allocation past the memory limit was not killed"
    assert found["forks"].startswith("refused"), found["forks"]
    assert int(found["forks"].split()[1]) < settings.sandbox_max_processes


ENCLAVE_PROBE = r"""
import errno, json, os, socket, subprocess, sys, time
import pandas as pd

def _write(path):
    try:
        with open(path, "w") as handle:
            handle.write("x")
        return "written"
    except OSError as error:
        return errno.errorcode.get(error.errno, str(error.errno))

def _connect(host, port):
    try:
        socket.create_connection((host, port), timeout=3).close()
        return "connected"
    except OSError as error:
        return type(error).__name__

def _first(*paths):
    for path in paths:
        if os.path.exists(path):
            return open(path).read().strip()
    return None

def _probe():
    found = {}
    status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\t" in line)
    found["caps"] = {key: status[key].strip() for key in ("CapEff", "CapPrm", "CapBnd", "NoNewPrivs")}
    found["uid"] = os.getuid()
    found["interfaces"] = sorted(os.listdir("/sys/class/net"))
    found["default_route"] = any(line.split()[1] == "00000000" for line in open("/proc/net/route").read().splitlines()[1:])
    found["connect"] = {f"{host}:{port}": _connect(host, port) for host, port in TARGETS}
    found["docker_socket"] = [path for path in ("/var/run/docker.sock", "/run/docker.sock") if os.path.exists(path)]
    found["answers"] = os.path.exists("/srv/arena/answers")
    found["environment"] = sorted(os.environ)
    found["writes"] = {path: _write(path) for path in ("CODE_DIR/probe.txt", "FEATURES_FILE", "/etc/probe.txt", "OUTPUT_DIR/probe.txt")}
    found["memory_limit"] = _first("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory.max")
    found["pids_limit"] = _first("/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/pids.max")
    found["forks"] = subprocess.run([sys.executable, "-c", FORKS], capture_output=True, text=True).stdout.strip()
    if found["writes"]["OUTPUT_DIR/probe.txt"] == "written":
        os.remove("OUTPUT_DIR/probe.txt")
    print("PROBES", json.dumps(found), flush=True)

def predict(features):
    _probe()
    time.sleep(WINDOW)  # the test inspects the running container meanwhile
    return pd.DataFrame({"ID": features["ID"], "TARGET": [LABEL] * len(features)})
"""

SUBMIT_PROBE = f"""
from pathlib import Path
from arena_client import submit_code
folder = Path.home() / "enclave-probe"
folder.mkdir(exist_ok=True)
(folder / "main.py").write_text(CODE)
print("SUBMITTED", submit_code(folder, challenge={SLUG!r}, wait=False)["id"])
"""
"""What the competitor runs in her sandbox's kernel: the probe's folder, submitted without waiting."""

ENCLAVE_WINDOW = 20
"""Seconds the probe's container keeps running after probing, for the test to inspect it."""

SPEC_AND_LABEL = r"""
import json
from arena.parquet import read_parquet
spec = json.load(open("/srv/arena/challenges/SLUG/challenge.json"))
answers = read_parquet("/srv/arena/answers/SLUG/answers.parquet")
print(json.dumps({"spec": spec, "label": answers[spec["target_column"]].tolist()[0]}))
"""


def _enclave_containers() -> list[str]:
    return docker("ps", "--filter", "name=arena-enclave-", "--format", "{{.Names}}").split()


def _wait_for_outcome(stack: Stack, token: str, submission_id: int, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = scoring_api(stack, token, f"/challenges/{SLUG}/submissions/{submission_id}")
        if view["state"] in ("scored", "failed"):
            return view
        time.sleep(1)
    raise AssertionError(f"submission {submission_id} not scored in {timeout} s: {view}")


def test_code_runs_in_an_enclave_container_that_cannot_escape(stack: Stack, hub: HubInCompose, lan: str) -> None:
    found_spec = stack.hub_python(SPEC_AND_LABEL.replace("SLUG", SLUG))
    spec, label = found_spec["spec"], found_spec["label"]
    addresses = [container_address(stack, service) for service in ("postgres", "hub")]
    targets = [("postgres", 5432), ("hub", 8081), (addresses[0], 5432), (addresses[1], 8081)]
    targets += [(bridge_gateway(), port) for port in (22, 5432, 8000)]
    code = ENCLAVE_PROBE
    for name, value in (
        ("TARGETS", repr(targets)), ("FORKS", repr(FORKS)), ("WINDOW", str(ENCLAVE_WINDOW)), ("LABEL", repr(label)),
        ("CODE_DIR", CODE_DIR), ("FEATURES_FILE", FEATURES_FILE), ("OUTPUT_DIR", OUTPUT_DIR),
        ('"ID"', repr(spec["id_column"])), ('"TARGET"', repr(spec["target_column"])),
    ):
        code = code.replace(name, value)
    limits = CodeLimits.from_spec(spec)

    with PHASES("enclave probe submitted from the sandbox, its container seen running"):
        submitted = harness.run_code(hub, "lan", lan, SUBMIT_PROBE.replace("CODE", repr(code)), timeout=120)
        submission_id = int(submitted.split("SUBMITTED ", 1)[1].split()[0])
        deadline = time.monotonic() + 240
        while not (names := _enclave_containers()) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert len(names) == 1, f"no enclave container ran: {names}\n{stack.compose('logs', '--tail', '40', 'worker')}"
        inspected = json.loads(docker("inspect", names[0]))[0]
    with PHASES("enclave probe scored, its run log read by the organiser"):
        view = _wait_for_outcome(stack, lan, submission_id)
        run_log = stack.hub("arena", "challenge", "run-log", str(submission_id), "--actor", "minh")
    found = json.loads(run_log.split("PROBES ", 1)[1].splitlines()[0])
    print(json.dumps(found, indent=1))
    assert (view["state"], view["outcome"]) == ("scored", "ok"), view

    # the container as the Docker runner made it
    host_config = inspected["HostConfig"]
    assert inspected["Config"]["Image"] == Settings().enclave_image
    assert host_config["NetworkMode"] == "none" and list(inspected["NetworkSettings"]["Networks"]) == ["none"]
    assert host_config["CapDrop"] == ["ALL"] and not host_config["CapAdd"] and not host_config["Privileged"]
    assert "no-new-privileges" in host_config["SecurityOpt"] and host_config["ReadonlyRootfs"] is True
    assert host_config["Memory"] == host_config["MemorySwap"] == limits.memory_mb * 1024**2
    assert host_config["PidsLimit"] == limits.pids
    mounts = {mount["Destination"]: mount["RW"] for mount in inspected["Mounts"]}
    assert mounts == {CODE_DIR: False, FEATURES_FILE: False, OUTPUT_DIR: True}, mounts
    # and what the code in it found
    assert ENCLAVE_UID_BASE <= found["uid"] < ENCLAVE_UID_BASE + 100
    assert found["caps"] == {
        "CapEff": "0000000000000000",
        "CapPrm": "0000000000000000",
        "CapBnd": "0000000000000000",
        "NoNewPrivs": "1",
    }
    assert found["interfaces"] == ["lo"] and found["default_route"] is False
    assert [target for target, result in found["connect"].items() if result == "connected"] == [], found["connect"]
    assert found["docker_socket"] == [] and found["answers"] is False
    # The sandbox image's own ENV names its (here unmounted) /datasets and /challenges; nothing of the worker's.
    leaked = [name for name in found["environment"] if name.startswith(("ARENA_", "JUPYTERHUB_", "DOCKER_"))]
    assert set(leaked) <= {"ARENA_DATASETS_DIR", "ARENA_CHALLENGES_DIR"}, leaked
    assert found["writes"] == {
        f"{CODE_DIR}/probe.txt": "EROFS",
        FEATURES_FILE: "EROFS",
        "/etc/probe.txt": "EROFS",
        f"{OUTPUT_DIR}/probe.txt": "written",
    }, found["writes"]
    assert int(found["memory_limit"]) == limits.memory_mb * 1024**2
    assert int(found["pids_limit"]) == limits.pids
    assert found["forks"].startswith("refused"), found["forks"]
    assert _enclave_containers() == [], "the enclave container outlived its run"


def test_doctor_in_the_hub_container_prints_all_ok(stack: Stack) -> None:
    with PHASES("arena doctor in the hub container"):
        output = stack.hub("arena", "doctor", check=False)
    print(output)
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines and all(line.startswith("OK") for line in lines), output


def publish_load_challenge(stack: Stack, tmp: Path) -> str:
    """Publish the predictions-mode challenge of the scale-out run (on the example's training replica); its CSV."""
    datasets = json.loads(stack.hub("cat", f"/srv/arena/challenges/{SLUG}/challenge.json"))["datasets"]
    limits = {"per_day": PER_DAY, "total": 100, "final_selection": 2, "team_size": 5}
    spec = base_spec(slug=LOAD_SLUG, title="Load check", datasets=datasets, phases=open_phases(), limits=limits)
    folder = write_bundle(tmp / LOAD_SLUG, spec)
    docker("cp", str(folder), f"{stack.container_ids('hub')[0]}:/tmp/{LOAD_SLUG}")
    print(stack.hub("arena", "challenge", "publish", f"/tmp/{LOAD_SLUG}", "--actor", "minh"))
    return answers_frame().to_csv(index=False)

USERS_AND_COUNTS = r"""
import json, sys
from arena.accounts import create_user
from arena.db import Database
from arena.settings import Settings
names, password = NAMES, PASSWORD
db = Database.from_settings(Settings())
with db.session() as session:
    for name in names:
        create_user(session, name, "competitor", password, actor="compose-test")
print(json.dumps(len(names)))
"""

QUEUE_STATE = r"""
import json
from sqlalchemy import func, select
from arena.db import Database
from arena.models import Score, Submission
from arena.settings import Settings
db = Database.from_settings(Settings())
submissions = select(Submission.id, Submission.state, Submission.worker)
per_submission = select(
    Score.submission_id, func.count(), func.count(func.distinct(Score.split + ":" + Score.metric))
).group_by(Score.submission_id)
with db.session() as session:
    states = {str(sid): (state.value, worker) for sid, state, worker in session.execute(submissions)}
    rows = {str(sid): [count, distinct] for sid, count, distinct in session.execute(per_submission)}
print(json.dumps({"states": states, "rows": rows}))
"""


async def _send(stack: Stack, tokens: list[str], payload: str) -> tuple[list[int], list[str]]:
    url = f"{stack.url}/services/scoring/api/challenges/{LOAD_SLUG}/submissions"
    accepted: list[int] = []
    errors: list[str] = []

    async def competitor(client: httpx.AsyncClient, token: str) -> None:
        for number in range(PER_DAY):
            try:
                response = await client.post(
                    url,
                    files={"file": (f"s{number}.csv", payload.encode())},
                    headers={"Authorization": f"token {token}"},
                )
            except httpx.HTTPError as error:
                errors.append(f"{type(error).__name__}: {error}")
                continue
            if response.status_code == 202:
                accepted.append(response.json()["id"])
            else:
                errors.append(f"{response.status_code} {response.text[:200]}")

    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=len(tokens) + 5)) as client:
        await asyncio.gather(*(competitor(client, token) for token in tokens))
    return accepted, errors


def test_three_workers_score_two_hundred_submissions_once_each(
    stack: Stack, hub: HubInCompose, tmp_path: Path
) -> None:
    names = [f"load{n:02d}" for n in range(LOAD_SUBMISSIONS // PER_DAY)]
    password = secrets.token_urlsafe(9)
    stack.hub_python(USERS_AND_COUNTS.replace("NAMES", repr(names)).replace("PASSWORD", repr(password)))
    payload = publish_load_challenge(stack, tmp_path)
    tokens = [harness.create_token(harness.login(hub, name, password), name) for name in names]
    before = set(stack.hub_python(QUEUE_STATE)["states"])

    with PHASES(f"compose up --scale worker={WORKERS}"):
        stack.compose("up", "-d", "--no-build", "--scale", f"worker={WORKERS}")
    assert len(stack.container_ids("worker")) == WORKERS
    with PHASES(f"{LOAD_SUBMISSIONS} submissions sent ({len(names)} competitors)"):
        accepted, errors = asyncio.run(_send(stack, tokens, payload))
    assert errors == [], errors[:5]
    assert len(accepted) == LOAD_SUBMISSIONS

    with PHASES("queue drained by the workers"):
        deadline = 600
        state: dict[str, Any] = {}
        for _ in range(deadline // 3):
            state = stack.hub_python(QUEUE_STATE)
            mine = {sid: state["states"].get(str(sid)) for sid in accepted}
            if all(value and value[0] in ("scored", "failed") for value in mine.values()):
                break
            subprocess.run(["sleep", "3"], check=True)
    stored = {int(sid): value for sid, value in state["states"].items() if int(sid) not in {int(s) for s in before}}
    workers = sorted({worker for _state, worker in stored.values()})
    print(
        f"\naccepted {len(accepted)}, stored {len(stored)}, states {sorted({s for s, _ in stored.values()})}, "
        f"workers {workers}, score rows per submission {sorted({state['rows'][str(sid)][0] for sid in stored})}"
    )
    assert set(stored) == set(accepted), "a submission was lost (or one appeared from nowhere)"
    assert {value[0] for value in stored.values()} == {"scored"}
    counts = [state["rows"][str(sid)] for sid in stored]
    assert all(count == distinct for count, distinct in counts), "a score was stored twice (scored twice)"
    assert len({count for count, _ in counts}) == 1, "submissions differ in their number of scores"
    assert len(workers) > 1, f"only {workers} scored: the scale-out did not share the queue"


ROW_COUNTS = r"""
import json, os
from sqlalchemy import create_engine, func, select
from arena.models import Base
counts = {}
for label, url in (("live", os.environ["ARENA_DATABASE_URL"]), ("restored", RESTORED_URL)):
    engine = create_engine(url)
    with engine.connect() as connection:
        counts[label] = {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one() for table in Base.metadata.sorted_tables}
    engine.dispose()
print(json.dumps(counts))
"""


def test_backup_in_the_hub_container_restores_into_a_fresh_postgres(stack: Stack) -> None:
    restore_name = "data-arena-restore-check"
    network = next(
        name for name in docker("network", "ls", "--format", "{{.Name}}").split() if name.endswith("_backend")
    )
    restored_url = f"postgresql+psycopg://arena:{stack.password}@{restore_name}:5432/arena"
    try:
        with PHASES("arena db backup in the hub container"):
            print(stack.hub("arena", "db", "backup", "/srv/arena/hub/arena.dump"))
        with PHASES("fresh PostgreSQL container + arena db restore"):
            docker(
                "run",
                "-d",
                "--name",
                restore_name,
                "--network",
                network,
                "-e",
                f"POSTGRES_PASSWORD={stack.password}",
                "-e",
                "POSTGRES_USER=arena",
                "-e",
                "POSTGRES_DB=arena",
                POSTGRES_IMAGE,
            )
            for _ in range(60):
                ready = docker(
                    "exec", restore_name, "pg_isready", "-U", "arena", "-d", "arena", "-h", "127.0.0.1", check=False
                )
                if "accepting connections" in ready:
                    break
                subprocess.run(["sleep", "1"], check=True)
            print(
                stack.compose(
                    "run",
                    "--rm",
                    "--no-deps",
                    "-e",
                    f"ARENA_DATABASE_URL={restored_url}",
                    "hub",
                    "arena",
                    "db",
                    "restore",
                    "/srv/arena/hub/arena.dump",
                )
            )
        counts = stack.hub_python(ROW_COUNTS.replace("RESTORED_URL", repr(restored_url)))
    finally:
        docker("rm", "-f", "-v", restore_name, check=False)
    print(json.dumps(counts))
    assert counts["live"]["submissions"] > LOAD_SUBMISSIONS
    assert counts["restored"] == counts["live"]


def test_compose_down_leaves_nothing_behind(stack: Stack, hub: HubInCompose, lan: str) -> None:
    with PHASES("sandbox stopped through the hub API (DockerSpawner removes it)"):
        response = hub.api("DELETE", "/users/lan/server", token=lan)
        assert response.status_code in (202, 204), response.text
        for _ in range(60):
            if not docker("ps", "-a", "--filter", "name=arena-sandbox", "-q"):
                break
            subprocess.run(["sleep", "1"], check=True)
    with PHASES("compose down -v"):
        stack.compose("down", "-v", "--remove-orphans")
    left = stack.leftovers()
    homes = [name for name in left["volumes"] if name.startswith("data-arena-home-")]
    for name in homes:  # competitors' homes are DockerSpawner's volumes, not compose's: removed on purpose
        docker("volume", "rm", name)
    print(f"\nleft after down -v: {left} (home volumes removed: {homes})")
    assert left["containers"] == [] and left["networks"] == [] and left["staged runs"] == []
    assert [name for name in left["volumes"] if name not in homes] == []
    assert homes == ["data-arena-home-lan"]
