"""The production path on a real Docker engine: docker-compose.yml up, DockerSpawner sandboxes, end to end.

Run by ``make test-compose`` (marker ``compose``, left out of ``make test``: building the images
takes longer than CI's budget allows). The images are those of ``deploy/build-images.sh``; the
PostgreSQL image is ``ARENA_COMPOSE_POSTGRES_IMAGE`` (default: the local stand-in of
``deploy/local-bases.sh``). The tests run in file order on one stack:

1. ``docker compose up -d``, healthy; an organiser publishes the example challenge in the hub container.
2. A competitor logs in through the form; DockerSpawner starts a sandbox container on the internal
   network; a real kernel in it runs the challenge's starter notebook (load the replicas, train,
   submit); a worker container scores it; the judge sees the private board, the competitor is refused it.
3. Escape probes in that container: no route out, no database, no answers volume, no capabilities,
   memory and pids limits enforced, datasets read-only.
4. ``arena doctor`` in the hub container: all OK.
5. ``--scale worker=3`` while 200 submissions arrive: none lost, none scored twice, the queue drains.
6. ``arena db backup`` in the hub container, restored into a fresh PostgreSQL container: same rows.
7. ``docker compose down -v``: nothing of the platform left on the engine.

Network traffic: this host's own addresses only (the published port, the bridge gateway).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from compose_stack import HubInCompose, Phases, Stack, bridge_gateway, docker, engine_missing, free_loopback_address
from deploy_files import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tests" / "hub"))
import harness

from arena.settings import Settings

VERSION = "0.1.0"
IMAGES = (f"data-arena/hub:{VERSION}", f"data-arena/scoring:{VERSION}", f"data-arena/sandbox:{VERSION}")
POSTGRES_IMAGE = os.environ.get("ARENA_COMPOSE_POSTGRES_IMAGE", "arena-local/postgres:15-bookworm")
SLUG = "household-income-band"
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
    harness.check_starter_submission(output, scoring_api(stack, lan, f"/challenges/{SLUG}/submissions"))

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
FORKS = '''
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
'''
found["forks"] = subprocess.run([sys.executable, "-c", FORKS], capture_output=True, text=True).stdout.strip()
print("PROBES", json.dumps(found))
"""


def test_sandbox_container_cannot_escape(stack: Stack, hub: HubInCompose, lan: str) -> None:
    settings = Settings()
    name = sandbox_container()
    inspected = json.loads(docker("inspect", name))[0]
    host_config = inspected["HostConfig"]
    postgres_ip = next(
        iter(
            json.loads(docker("inspect", stack.container_ids("postgres")[0]))[0]["NetworkSettings"]["Networks"].values()
        )
    )["IPAddress"]
    gateway = bridge_gateway()
    sandbox_gateway = json.loads(docker("network", "inspect", "data-arena-sandboxes"))[0]["IPAM"]["Config"][0]
    sandbox_gateway = sandbox_gateway.get("Gateway") or sandbox_gateway["Subnet"].rsplit(".", 1)[0] + ".1"
    host_ports = [(address, port) for address in (gateway, sandbox_gateway) for port in (22, 5432, 8000)]
    targets = [("postgres", 5432), (postgres_ip, 5432), *host_ports, ("hub", 8081), ("hub", 8090)]
    code = PROBES.replace("TARGETS", repr(targets)).replace(
        "MEMORY_BYTES", str(settings.sandbox_mem_bytes + 512 * 1024**2)
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


def test_doctor_in_the_hub_container_prints_all_ok(stack: Stack) -> None:
    with PHASES("arena doctor in the hub container"):
        output = stack.hub("arena", "doctor", check=False)
    print(output)
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines and all(line.startswith("OK") for line in lines), output


SUBMISSION_PAYLOAD = r"""
import json
import pandas as pd
spec = json.load(open("/srv/arena/challenges/SLUG/challenge.json"))
answers = pd.read_parquet("/srv/arena/answers/SLUG/answers.parquet")
print(json.dumps(answers[[spec["id_column"], spec["target_column"]]].to_csv(index=False)))
"""

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
    url = f"{stack.url}/services/scoring/api/challenges/{SLUG}/submissions"
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


def test_three_workers_score_two_hundred_submissions_once_each(stack: Stack, hub: HubInCompose) -> None:
    names = [f"load{n:02d}" for n in range(LOAD_SUBMISSIONS // PER_DAY)]
    password = secrets.token_urlsafe(9)
    stack.hub_python(USERS_AND_COUNTS.replace("NAMES", repr(names)).replace("PASSWORD", repr(password)))
    payload = stack.hub_python(SUBMISSION_PAYLOAD.replace("SLUG", SLUG))
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
    assert left["containers"] == [] and left["networks"] == []
    assert [name for name in left["volumes"] if name not in homes] == []
    assert homes == ["data-arena-home-lan"]
