"""Escape attempts from the real enclave: each is a real run of real code under bwrap, cgroups and a uid of its own.

The code under test prints what it managed to see or do; that print goes to the run's log, which
only the scoring side reads, so the tests read it there (as an organiser would). What the
competitor could learn is the returned :class:`EnclaveRun`: the tests check that nothing of the
real rows, the exception or the printed text is in it.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from enclave_runs import UID_BASE, Challenge, EnclaveRunner, cgroups_missing, enclave_missing, make_challenge

from arena.cgroups import list_groups
from arena.settings import Settings
from sandboxes import ensure_sandbox_env
from scoring.enclave import CodeLimits, EnclaveRun, RunOutcome
from scoring.enclave.stage import enclave_processes

pytestmark = [pytest.mark.slow, pytest.mark.skipif(enclave_missing() is not None, reason=str(enclave_missing()))]

GOOD = """
import pandas as pd
def predict(features):
    return pd.DataFrame({"person_id": features["person_id"], "income": features["age"] * 2.0})
"""

PROBE = """
import json, os
def report(**found):
    print("PROBE " + json.dumps(found, default=str), flush=True)
def attempt(action):
    try:
        return "ok: " + str(action())
    except BaseException as error:
        return type(error).__name__ + ": " + str(getattr(error, "strerror", "") or error)
"""


@pytest.fixture(scope="module")
def enclave_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the runs: the sandbox environment (built if stale), a uid base of these tests."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("var"), enclave_uid_base=UID_BASE, _env_file=None)
    ensure_sandbox_env(settings)
    return settings


@pytest.fixture
def challenge(tmp_path: Path) -> Challenge:
    return make_challenge(tmp_path / "scoring-side")


@pytest.fixture
def run(enclave_settings: Settings, challenge: Challenge, tmp_path: Path) -> Iterator[EnclaveRunner]:
    runner = EnclaveRunner(enclave_settings, challenge, tmp_path)
    yield runner
    assert enclave_processes(UID_BASE) == [], "a process of the enclave uid outlived its run"


def probes(result: EnclaveRun) -> dict[str, object]:
    """What the code reported (from the scoring-side log)."""
    found: dict[str, object] = {}
    for line in result.log_path.read_text().splitlines():
        if line.startswith("PROBE "):
            found.update(json.loads(line.removeprefix("PROBE ")))
    return found


def visible_to_competitor(result: EnclaveRun) -> str:
    """Everything of a run that leaves the scoring side's log: the returned object and the run folder's other files."""
    texts = [repr(result)]
    for path in result.log_path.parent.rglob("*"):
        if path.is_file() and path != result.log_path:
            texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


def _host_addresses() -> list[str]:
    output = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    return [address for address in re.findall(r"inet (\d+\.\d+\.\d+\.\d+)", output) if not address.startswith("127.")]


# --------------------------------------------------------------------------- what works, what is refused


def test_a_good_predict_is_ok_and_its_predictions_come_back(run: EnclaveRunner, challenge: Challenge) -> None:
    result = run(GOOD)

    assert result.outcome is RunOutcome.ok
    predictions = pd.read_csv(result.predictions)
    features = pd.read_parquet(challenge.features)
    assert list(predictions.columns) == ["person_id", "income"]
    assert predictions["person_id"].tolist() == features["person_id"].tolist()
    assert predictions["income"].tolist() == (features["age"] * 2.0).tolist()
    assert sorted(path.name for path in result.log_path.parent.iterdir()) == ["predictions.csv", "run.log"]


@pytest.mark.parametrize(
    ("returned", "outcome"),
    [
        ('pd.DataFrame({"person_id": features["person_id"][1:], "income": 1.0})', "invalid_output"),
        ('pd.DataFrame({"person_id": [*features["person_id"][1:], features["person_id"][1]], "income": 1.0})',
         "invalid_output"),
        ('pd.DataFrame({"person_id": [*features["person_id"], 1], "income": 1.0})', "invalid_output"),
        ('pd.DataFrame({"person_id": features["person_id"], "income": float("nan")})', "invalid_output"),
        ('pd.DataFrame({"person_id": features["person_id"], "prediction": 1.0})', "invalid_output"),
        ("None", "no_output"),
        ('features["age"]', "no_output"),
    ],
    ids=["missing-ids", "duplicate-ids", "extra-row", "nan-target", "wrong-column", "none", "a-series"],
)
def test_invalid_outputs_get_their_category(run: EnclaveRunner, returned: str, outcome: str) -> None:
    result = run(f"import pandas as pd\ndef predict(features):\n    return {returned}\n")

    assert result.outcome == outcome and result.predictions is None


def test_an_import_error_is_an_error(run: EnclaveRunner) -> None:
    result = run("import a_module_that_does_not_exist\ndef predict(features):\n    return features\n")

    assert result.outcome is RunOutcome.error
    assert "ModuleNotFoundError" in result.log_path.read_text()  # the organiser sees why


def test_a_model_file_beside_main_py_is_readable_from_the_current_folder(run: EnclaveRunner) -> None:
    main = """
    import pickle
    from pathlib import Path
    import pandas as pd
    FACTOR = pickle.load(open("model.pkl", "rb"))
    assert pickle.loads((Path(__file__).parent / "model.pkl").read_bytes()) == FACTOR
    def predict(features):
        return pd.DataFrame({"person_id": features["person_id"], "income": features["age"] * FACTOR})
    """
    import pickle

    result = run(main, files={"model.pkl": pickle.dumps(3.0)})

    assert result.outcome is RunOutcome.ok
    assert pd.read_csv(result.predictions)["income"].iloc[1] == 3.0


# --------------------------------------------------------------------------- network


def test_no_network_at_all_not_even_loopback_to_the_host(run: EnclaveRunner) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not accepted:
            try:
                accepted.append(listener.accept()[1])
            except TimeoutError:
                continue

    watcher = threading.Thread(target=accept, daemon=True)
    watcher.start()
    targets = [("127.0.0.1", port), *[(address, port) for address in _host_addresses()], ("1.1.1.1", 443)]
    main = PROBE + f"""
import socket
def connect(address):
    with socket.create_connection(address, timeout=3):
        return "connected"
def predict(features):
    report(interfaces=[name for _, name in socket.if_nameindex()],
           connections={{f"{{host}}:{{port}}": attempt(lambda: connect((host, port))) for host, port in {targets!r}}},
           dns=attempt(lambda: socket.getaddrinfo("pypi.org", 443)))
    return None
"""
    try:
        result = run(main)
    finally:
        accepted.append("stop") if not accepted else None
        watcher.join()
        listener.close()

    found = probes(result)
    assert found["interfaces"] == ["lo"]
    assert all(not outcome.startswith("ok") for outcome in found["connections"].values()), found
    assert found["connections"][f"127.0.0.1:{port}"].startswith("ConnectionRefusedError")  # its own, empty lo
    assert not found["dns"].startswith("ok")
    assert accepted == ["stop"], "the host's listening socket was reached from the enclave"


# --------------------------------------------------------------------------- files


def test_answers_and_other_challenges_features_do_not_exist_inside(run: EnclaveRunner, challenge: Challenge) -> None:
    paths = [challenge.answers, challenge.other_features, challenge.features, challenge.answers.parent.parent]
    main = PROBE + f"""
import os
def predict(features):
    report(reads={{path: attempt(lambda: open(path, "rb").read(10)) for path in {[str(p) for p in paths]!r}}},
           input=sorted(os.listdir("/input")), root=sorted(os.listdir("/")),
           sibling=attempt(lambda: open("/input/../input/answers.parquet", "rb").read(10)),
           processes=sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
    return None
"""
    found = probes(run(main))

    assert all(outcome.startswith("FileNotFoundError") for outcome in found["reads"].values()), found["reads"]
    assert found["input"] == ["features.parquet"]
    assert found["sibling"].startswith("FileNotFoundError")
    assert set(found["root"]) <= {"usr", "bin", "sbin", "lib", "lib64", "lib32", "libx32", "etc", "opt", "var", "code",
                                  "input", "output", "tmp", "proc", "dev"}
    assert len(found["processes"]) <= 3, "the enclave sees only its own processes"


def test_writing_outside_the_work_dir_fails_and_scratch_is_capped(run: EnclaveRunner, enclave_settings: Settings) -> None:
    main = PROBE + """
import os
def write(path, megabytes=1):
    with open(path, "wb") as handle:
        for _ in range(megabytes):
            handle.write(b"x" * 1024**2)
            handle.flush()
    return path
def fill(folder):
    written = 0
    try:
        with open(os.path.join(folder, "fill"), "wb") as handle:
            while written < 1024**3:
                handle.write(b"y" * 1024**2)
                handle.flush()
                written += 1024**2
        return f"wrote {written}"
    except OSError as error:
        return f"{os.strerror(error.errno)} after {written}"
def predict(features):
    where = ["/x", "/etc/x", "/opt/x", "/usr/x", "/code/x", "/input/x", "/proc/x", "/dev/x",
             os.environ["ARENA_DATA_HINT"] if "ARENA_DATA_HINT" in os.environ else "/var/x"]
    report(outside={path: attempt(lambda: write(path)) for path in where},
           tmp=fill("/tmp"), shm=fill("/dev/shm"), home=os.environ["HOME"], tmpdir=os.environ["TMPDIR"])
    os.remove("/tmp/fill")
    os.remove("/dev/shm/fill")
    return None
"""
    result = run(main, CodeLimits(wall_seconds=60, memory_mb=1024, scratch_mb=16))

    found = probes(result)
    assert all(not outcome.startswith("ok") for outcome in found["outside"].values()), found["outside"]
    assert found["home"] == found["tmpdir"] == "/tmp"
    for key in ("tmp", "shm"):
        assert found[key].startswith("No space left on device"), found
        assert int(found[key].rsplit(" ", 1)[1]) <= 16 * 1024**2
    assert result.outcome is RunOutcome.no_output


def test_filling_the_output_stops_at_its_cap(run: EnclaveRunner) -> None:
    main = PROBE + """
def predict(features):
    written = 0
    try:
        with open("/output/big", "wb") as handle:
            while written < 1024**3:
                handle.write(b"z" * 1024**2)
                handle.flush()
                written += 1024**2
    except OSError as error:
        report(output=f"{error.strerror} after {written}")
    raise RuntimeError("stopped")
"""
    result = run(main, CodeLimits(wall_seconds=60, output_mb=8))

    assert probes(result)["output"].startswith("No space left on device")
    assert int(probes(result)["output"].rsplit(" ", 1)[1]) <= 8 * 1024**2
    assert result.outcome is RunOutcome.error


def test_extra_files_in_the_output_are_ignored(run: EnclaveRunner, challenge: Challenge) -> None:
    main = GOOD + """
import os
_predict = predict
def predict(features):
    for name in ("extra.csv", "predictions.csv.bak", "run.log", "../escape"):
        try:
            open(os.path.join("/output", name), "w").write("person_id,income\\n1,1\\n")
        except OSError:
            pass
    os.makedirs("/output/sub", exist_ok=True)
    return _predict(features)
"""
    result = run(main)

    assert result.outcome is RunOutcome.ok
    assert sorted(path.name for path in result.log_path.parent.iterdir()) == ["predictions.csv", "run.log"]
    assert len(pd.read_csv(result.predictions)) == len(pd.read_parquet(challenge.features))
    assert "1,1" not in result.log_path.read_text()


# --------------------------------------------------------------------------- limits


@pytest.mark.skipif(cgroups_missing() is not None, reason=str(cgroups_missing()))
def test_a_fork_bomb_stops_at_the_process_cap_and_leaves_nothing(run: EnclaveRunner) -> None:
    main = """
import os, time
def predict(features):
    while True:
        try:
            if os.fork() == 0:
                while True:
                    try:
                        os.fork()
                    except OSError:
                        time.sleep(0.01)
        except OSError:
            time.sleep(0.01)
"""
    peak: list[int] = [0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], len(enclave_processes(UID_BASE)))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.monotonic()
    try:
        result = run(main, CodeLimits(wall_seconds=8, pids=40, memory_mb=1024))
    finally:
        stop.set()
        watcher.join()

    assert result.outcome is RunOutcome.timeout
    assert 1 < peak[0] <= 40
    assert subprocess.run(["true"]).returncode == 0  # the host still forks
    assert time.monotonic() - started < 8 + 15


@pytest.mark.skipif(cgroups_missing() is not None, reason=str(cgroups_missing()))
def test_memory_over_the_limit_across_processes_is_out_of_memory(run: EnclaveRunner) -> None:
    main = """
import os, time
def hold(megabytes):
    block = bytearray(megabytes * 1024**2)
    for index in range(0, len(block), 4096):
        block[index] = 1
    return block
def predict(features):
    children = []
    for _ in range(4):  # each under the limit on its own: only a limit on the group stops them
        pid = os.fork()
        if pid == 0:
            held = hold(90)
            time.sleep(5)
            os._exit(0)
        children.append(pid)
    statuses = [os.waitpid(pid, 0)[1] for pid in children]
    if any(os.WIFSIGNALED(status) for status in statuses):
        raise MemoryError("a worker was killed")
    return None
"""
    result = run(main, CodeLimits(wall_seconds=60, memory_mb=200))

    assert result.outcome is RunOutcome.out_of_memory


def test_the_time_limit_kills_the_whole_tree(run: EnclaveRunner) -> None:
    main = """
import os, subprocess, time
def predict(features):
    subprocess.Popen(["sleep", "300"], start_new_session=True)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(300)
        os._exit(0)
    time.sleep(300)
"""
    started = time.monotonic()
    result = run(main, CodeLimits(wall_seconds=3))

    assert result.outcome is RunOutcome.timeout
    assert 3 <= result.wall_seconds < 3 + 10
    assert time.monotonic() - started < 3 + 15
    assert enclave_processes(UID_BASE) == []


# --------------------------------------------------------------------------- what could leak


def test_no_token_or_setting_reaches_the_code(run: EnclaveRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {
        "JUPYTERHUB_API_TOKEN": "hubtoken-5d1f0c",
        "ARENA_DATABASE_URL": "postgresql+psycopg://arena:dbpass-77e1@db/arena",
        "ARENA_SCORING_TOKEN": "scoringtoken-a93b",
        "AWS_SECRET_ACCESS_KEY": "awskey-19c0",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    main = PROBE + """
def predict(features):
    report(environ=dict(os.environ), own=attempt(lambda: open("/proc/self/environ", "rb").read().decode()),
           first=attempt(lambda: open("/proc/1/environ", "rb").read().decode()),
           uid=os.getuid(), groups=os.getgroups(), caps=open("/proc/self/status").read())
    return None
"""
    result = run(main)

    found = probes(result)
    log_text = result.log_path.read_text()
    assert not any(value in log_text for value in secrets.values())
    assert set(found["environ"]) <= {"PATH", "HOME", "TMPDIR", "LANG", "USER", "PYTHONDONTWRITEBYTECODE",
                                     "PYTHONNOUSERSITE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                     "MKL_NUM_THREADS", "PWD"}
    assert found["uid"] == UID_BASE and found["groups"] in ([], [UID_BASE])
    assert "CapEff:\t0000000000000000" in found["caps"] and "NoNewPrivs:\t1" in found["caps"]


def test_printed_rows_stay_in_the_scoring_side_log(run: EnclaveRunner, challenge: Challenge) -> None:
    main = GOOD.replace("def predict(features):", "def predict(features):\n    print(features.to_string())")

    result = run(main)

    assert result.outcome is RunOutcome.ok
    assert challenge.secret_names[7] in result.log_path.read_text()
    assert not any(name in visible_to_competitor(result) for name in challenge.secret_names)


def test_an_exception_named_after_a_real_value_comes_back_as_error_only(run: EnclaveRunner, challenge: Challenge):
    main = """
def predict(features):
    name = str(features["name"].iloc[3])
    raise type(name, (Exception,), {})(f"{name} {features['name'].iloc[4]}")
"""
    result = run(main)

    assert result.outcome is RunOutcome.error
    assert challenge.secret_names[3] in result.log_path.read_text()  # the organiser may read it
    visible = visible_to_competitor(result)
    assert challenge.secret_names[3] not in visible and challenge.secret_names[4] not in visible
    assert set(vars(result)) == {"outcome", "predictions", "wall_seconds", "log_path"}


# --------------------------------------------------------------------------- without cgroups


def test_without_cgroups_prlimit_still_limits_and_the_clock_still_kills_the_tree(
    run: EnclaveRunner, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("scoring.enclave.launcher.cgroup_mode", lambda: "none")
    greedy = """
def predict(features):
    block = bytearray(400 * 1024**2)  # over the address-space limit of this one process
"""
    sleeper = """
import os, time
def predict(features):
    if os.fork() == 0:
        os.setsid()
        time.sleep(300)
    time.sleep(300)
"""

    assert run(GOOD).outcome is RunOutcome.ok
    assert run(greedy, CodeLimits(wall_seconds=60, memory_mb=300)).outcome is RunOutcome.error  # MemoryError
    assert run(sleeper, CodeLimits(wall_seconds=2)).outcome is RunOutcome.timeout
    assert enclave_processes(UID_BASE) == []
    assert "falls back to per-process prlimit" in caplog.text


# --------------------------------------------------------------------------- a launcher killed mid-run


def test_a_launcher_killed_mid_run_takes_its_run_down_and_the_next_run_sweeps_the_rest(
    run: EnclaveRunner, enclave_settings: Settings, challenge: Challenge, tmp_path: Path
) -> None:
    code = tmp_path / "sleeper"
    code.mkdir()
    (code / "main.py").write_text("import time\ndef predict(features):\n    time.sleep(300)\n")
    script = f"""
from pathlib import Path
from arena.settings import Settings
from scoring.enclave import CodeLimits, run_code
settings = Settings(data_dir=Path({str(enclave_settings.data_dir)!r}), enclave_uid_base={UID_BASE}, _env_file=None)
run_code(settings, code_dir=Path({str(code)!r}), features=Path({str(challenge.features)!r}), id_column="person_id",
         target_column="income", limits=CodeLimits(wall_seconds=300), run_dir=Path({str(tmp_path / "killed")!r}), slot=0)
"""
    launcher = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    while not enclave_processes(UID_BASE) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert enclave_processes(UID_BASE), "the run did not start"
    time.sleep(1)

    launcher.kill()
    launcher.wait()

    deadline = time.monotonic() + 10
    while enclave_processes(UID_BASE) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert enclave_processes(UID_BASE) == []  # bwrap --die-with-parent took the tree down
    left = list(enclave_settings.enclave_stage_dir.glob(f"run-{UID_BASE}-*"))
    assert left and os.path.ismount(left[0] / "output")  # what only the next run of the slot can clear
    assert any(name.startswith(f"enclave/run-{UID_BASE}-") for name in list_groups("enclave"))

    assert run(GOOD).outcome is RunOutcome.ok

    assert not list(enclave_settings.enclave_stage_dir.glob(f"run-{UID_BASE}-*"))
    assert not any(name.startswith(f"enclave/run-{UID_BASE}-") for name in list_groups("enclave"))
