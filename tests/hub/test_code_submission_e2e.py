"""Code submissions end to end with no mocks: real hub, bubblewrap sandbox, real kernel, real enclave.

The competitor runs the challenge's own starter notebook in a kernel of their sandbox: it trains
on the synthetic replica, writes ``main.py`` and a model file into a folder of the home, runs the
smoke test (the enclave's harness, here, on the synthetic test replica: its log is shown) and
submits the code. The scoring service runs the same code in the enclave on the REAL held-out
features and scores it. A second submission prints the real rows it is given and raises with a
real id as its message: the competitor sees the outcome ``error`` and nothing of the real rows, in
the kernel or in any API answer; the organiser's run log on the scoring side holds them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import harness
import httpx
import pandas as pd
import pytest

from hub.demo import seed_demo
from sandboxes import ensure_sandbox_env

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(harness.e2e_missing() is not None, reason=str(harness.e2e_missing()))]

SLUG = "household-income-band"
LEAKY = '''
import pandas as pd

def predict(features):
    print(features.to_string())
    raise ValueError(str(features["person_id"].iloc[0]))
'''


@pytest.fixture(scope="module")
def demo(e2e_root: Path) -> Iterator[tuple[harness.HubProcess, dict[str, str]]]:
    settings = harness.make_settings(e2e_root / f"arena-code-{uuid.uuid4().hex[:8]}", enclave_uid_base=34000)
    ensure_sandbox_env(settings)
    passwords = seed_demo(settings, people=1000, seed=7, echo=lambda line: None)
    with harness.hub_running(settings) as hub:
        yield hub, passwords


def _notebook_code(hub: harness.HubProcess) -> str:
    notebook = json.loads((hub.settings.challenges_dir / SLUG / "starter.ipynb").read_text())
    cells = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    cells[-1] = f"result = {cells[-1]}\nprint('RESULT', json.dumps(result))"
    return "\n".join(["import json", *cells])


def _api(hub: harness.HubProcess, token: str, path: str) -> httpx.Response:
    response = httpx.get(f"{hub.url}/services/scoring/api{path}", headers={"Authorization": f"token {token}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response


def _result(output: str) -> dict[str, Any]:
    return json.loads(next(line for line in output.splitlines() if line.startswith("RESULT ")).removeprefix("RESULT "))


def test_starter_notebook_smoke_tests_then_submits_code_scored_on_the_real_features(
    demo: tuple[harness.HubProcess, dict[str, str]],
) -> None:
    hub, passwords = demo
    real = pd.read_parquet(hub.settings.answers_dir / SLUG / "test_features.parquet")
    real_ids = set(real["person_id"])
    token, _seconds = harness.spawn(hub, "lan", passwords["lan"])

    # the starter notebook, in a real kernel of the sandbox: train, write the code folder, smoke test, submit
    output = harness.run_code(hub, "lan", token, _notebook_code(hub), timeout=600)
    print(output)
    submitted = _result(output)
    assert "--- smoke test of /home/" in output and "(synthetic) ---" in output
    assert "arena harness: smoke test, the network check is skipped" in output  # the harness's own log, shown
    assert re.search(r"--- outcome: ok, \d+ rows", output)
    assert re.search(rf"submission {submitted['id']} \(code\) scored, run time <(10 s|1 min): public .*f1_macro=", output)
    assert (submitted["kind"], submitted["state"], submitted["outcome"]) == ("code", "scored", "ok")
    assert set(submitted["scores"]) == {"public"}  # the private board stays hidden until the close

    # a second submission that prints the real rows and raises with a real id
    leaky = (
        "from pathlib import Path\nfrom arena_client import submit_code\n"
        "folder = Path.home() / 'leaky'\nfolder.mkdir(exist_ok=True)\n"
        f"(folder / 'main.py').write_text({LEAKY!r})\n"
        f"result = submit_code(folder, challenge={SLUG!r})\nprint('RESULT', __import__('json').dumps(result))"
    )
    leaky_output = harness.run_code(hub, "lan", token, leaky, timeout=300)
    failed = _result(leaky_output)
    assert (failed["state"], failed["outcome"]) == ("failed", "error")
    assert "the code raised an error" in leaky_output

    # what the competitor can read: no real id (each appears in the run log), no log line
    answers = [
        _api(hub, token, f"/challenges/{SLUG}/submissions").text,
        _api(hub, token, f"/challenges/{SLUG}/submissions/{failed['id']}").text,
        _api(hub, token, f"/challenges/{SLUG}/leaderboard").text,
        output,
        leaky_output,
    ]
    run_log = Path(_run_log_path(hub, failed["id"])).read_text()
    assert sum(real_id in run_log for real_id in real_ids) == len(real_ids)  # the enclave saw the real rows
    for text in answers:
        assert not [real_id for real_id in real_ids if real_id in text]
        assert "Traceback" not in text and "ValueError" not in text


def _run_log_path(hub: harness.HubProcess, submission_id: int) -> str:
    from arena.db import Database
    from arena.models import Submission

    database = Database(hub.settings.db_url)
    try:
        with database.session() as session:
            return session.get(Submission, submission_id).log_path
    finally:
        database.dispose()
