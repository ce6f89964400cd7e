"""The walking skeleton, end to end with no mocks: hub → sandbox → submit → score → leaderboard.

The demo seeding publishes the example challenge (reference data, SDV replica, hidden
answers) and the demo users; the real hub runs ``hub/jupyterhub_config.py`` with the
scoring service and the leaderboard. The competitor logs in through the login form, starts
a bubblewrap sandbox, and a real kernel in it runs the challenge's own starter notebook
(load the replicas, train the baseline, ``submit``). The scoring service scores the file
against the hidden answers and the team's row appears on the boards.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import harness
import httpx
import pytest

from arena.health import run_checks
from hub.demo import seed_demo
from sandboxes import ensure_sandbox_env

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(harness.e2e_missing() is not None, reason=str(harness.e2e_missing()))]

SLUG = "household-income-band"
SCORED = re.compile(r"'state': 'scored'")


@pytest.fixture(scope="module")
def demo(e2e_root: Path) -> Iterator[tuple[harness.HubProcess, dict[str, str]]]:
    settings = harness.make_settings(e2e_root / f"arena-skeleton-{uuid.uuid4().hex[:8]}")
    ensure_sandbox_env(settings)
    passwords = seed_demo(settings, people=2000, seed=7, echo=lambda line: None)
    with harness.hub_running(settings) as hub:
        yield hub, passwords


def starter_code(hub: harness.HubProcess) -> str:
    """The code cells of the published starter notebook, as one script that prints the result."""
    notebook = json.loads((hub.settings.challenges_dir / SLUG / "starter.ipynb").read_text())
    cells = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    cells[-1] = f"result = {cells[-1]}\nprint('RESULT', dict(result))"
    shapes = "from arena_client import load\nprint('SHAPES', load('people_train').shape, load('people_test').shape)"
    return "\n".join([shapes, *cells])

def scoring_api(hub: harness.HubProcess, token: str, path: str) -> Any:
    """GET a scoring-service route through the hub's proxy with ``token``."""
    response = httpx.get(
        f"{hub.url}/services/scoring/api{path}", headers={"Authorization": f"token {token}"}, timeout=30
    )
    response.raise_for_status()
    return response.json()


def wait_for_rows(hub: harness.HubProcess, token: str, timeout: float = 60) -> list[dict[str, Any]]:
    """The public board, once it has a row (the board is read from the database the worker wrote)."""
    deadline = time.monotonic() + timeout
    rows = scoring_api(hub, token, f"/challenges/{SLUG}/leaderboard?board=public")
    while not rows and time.monotonic() < deadline:
        time.sleep(0.5)
        rows = scoring_api(hub, token, f"/challenges/{SLUG}/leaderboard?board=public")
    return rows


def test_competitor_submits_from_the_sandbox_and_appears_on_the_leaderboard(
    demo: tuple[harness.HubProcess, dict[str, str]],
) -> None:
    hub, passwords = demo

    # 1. log in through the form and start a bubblewrap sandbox
    token, seconds = harness.spawn(hub, "lan", passwords["lan"])
    print(f"\nlogin -> ready sandbox: {seconds:.2f} s")

    # 2-3. in a real kernel: load the replicas, train the starter baseline, submit with the sandbox's token
    output = harness.run_code(hub, "lan", token, starter_code(hub), timeout=300)
    print(output)
    assert re.search(r"SHAPES \(\d+, \d+\) \(\d+, \d+\)", output), output
    assert SCORED.search(output), f"the submission was not scored:\n{output}"

    # 4. the scoring service stored it, scored it against the hidden answers, private score hidden
    own = scoring_api(hub, token, f"/challenges/{SLUG}/submissions")
    assert [s["state"] for s in own] == ["scored"]
    public = own[0]["scores"]["public"]
    assert set(public) == {"f1_macro", "accuracy"} and 0.0 <= public["f1_macro"] <= 1.0
    assert not own[0]["scores"].get("private"), "a competitor saw a private score before the close"

    # 5. the team's row is on the public board with that score
    rows = wait_for_rows(hub, token)
    assert len(rows) == 1
    assert rows[0]["rank"] == 1 and "lan" in rows[0]["team"]
    assert rows[0]["score"] == pytest.approx(public["f1_macro"], abs=1e-4)

    # roles: the private board is for judges, refused to the competitor before the close
    judge = harness.create_token(harness.login(hub, "hoa", passwords["hoa"]), "hoa")
    refused = httpx.get(
        f"{hub.url}/services/scoring/api/challenges/{SLUG}/leaderboard?board=private",
        headers={"Authorization": f"token {token}"},
        timeout=30,
    )
    private = scoring_api(hub, judge, f"/challenges/{SLUG}/leaderboard?board=private")
    assert refused.status_code == 403 and "private" in refused.json()["detail"]
    assert len(private) == 1 and "lan" in private[0]["team"]


def test_doctor_passes_on_the_running_platform(demo: tuple[harness.HubProcess, dict[str, str]]) -> None:
    hub, _passwords = demo

    results = {result.name: result for result in run_checks(hub.settings)}

    failed = {name: result.message for name, result in results.items() if not result.ok}
    assert failed.keys() == {"secrets"}, failed  # the embedded SQLite default is a development default
    assert results["proxy-http"].message == f"{hub.url}/hub/health answers 200 through the proxy"
