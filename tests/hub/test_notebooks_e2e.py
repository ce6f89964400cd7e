"""Every notebook that ships into a sandbox runs clean, top to bottom, in a real sandbox kernel.

The demo's challenges are published (plus one bundle without a starter notebook, whose starter
the platform generates), the real hub starts a bubblewrap sandbox for a competitor, and inside
it nbclient executes the home's ``welcome.ipynb`` and each ``starters/<slug>/starter.ipynb`` in a
fresh kernel of the sandbox's own environment, as *Run All* would: a cell that raises fails the
test with the notebook's name and the traceback. The starters submit for real and are scored.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import harness
import pytest
import yaml

from arena.db import Database
from arena.settings import Settings
from challenges import load_bundle, publish_challenge
from hub.demo import DEMO_CHALLENGES, seed_demo
from sandboxes import ensure_sandbox_env

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(harness.e2e_missing() is not None, reason=str(harness.e2e_missing()))]

GENERATED = "income-generated-starter"

RUN_NOTEBOOK = """
import time
from pathlib import Path

import nbclient
import nbformat

path = Path.home() / {relative!r}
notebook = nbformat.read(path, as_version=4)
started = time.monotonic()
nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                        resources={{"metadata": {{"path": str(path.parent)}}}}).execute()
print("EXECUTED", {relative!r}, f"{{time.monotonic() - started:.1f}} s")
for number, cell in enumerate(notebook.cells):
    for output in cell.get("outputs", []):
        text = output.get("text") or output.get("data", {{}}).get("text/plain", "")
        print(f"CELL {{number}} {{output['output_type']}}: {{text}}")
"""


def _publish_without_starter(settings: Settings) -> None:
    """The first demo bundle again under another slug, its starter notebook left out."""
    source = settings.resolved_data_dir / "bundles" / DEMO_CHALLENGES[0] / DEMO_CHALLENGES[0]
    folder = settings.resolved_data_dir / "bundles" / GENERATED
    shutil.copytree(source, folder)
    spec = yaml.safe_load((folder / "challenge.yaml").read_text())
    (folder / spec.pop("starter_notebook")).unlink()
    spec.update(slug=GENERATED, title="Income band (generated starter)")
    (folder / "challenge.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    db = Database.from_settings(settings)
    publish_challenge(db, settings, load_bundle(folder), actor="demo")
    db.dispose()


@pytest.fixture(scope="module")
def competitor(e2e_root: Path) -> Iterator[tuple[harness.HubProcess, str]]:
    settings = harness.make_settings(e2e_root / f"arena-notebooks-{uuid.uuid4().hex[:8]}")
    ensure_sandbox_env(settings)
    passwords = seed_demo(settings, people=2000, seed=7, echo=lambda line: None)
    _publish_without_starter(settings)
    with harness.hub_running(settings) as hub:
        token, _seconds = harness.spawn(hub, "lan", passwords["lan"])
        yield hub, token


def run_notebook(hub: harness.HubProcess, token: str, relative: str) -> str:
    """Execute the home's notebook ``relative`` with nbclient inside the sandbox; its outputs."""
    return harness.run_code(hub, "lan", token, RUN_NOTEBOOK.format(relative=relative), timeout=900)


def test_the_home_holds_the_welcome_and_each_open_challenges_starter(
    competitor: tuple[harness.HubProcess, str],
) -> None:
    hub, token = competitor
    listing = harness.run_code(
        hub, "lan", token, "from pathlib import Path\nhome = Path.home()\nprint(sorted(str(p.relative_to(home)) "
        "for p in home.rglob('*') if p.is_file() and not any(part.startswith('.') for part in p.relative_to(home).parts)))",
    )  # fmt: skip

    files = set(json.loads(listing.replace("'", '"')))
    expected = {"welcome.ipynb"} | {
        f"starters/{slug}/{name}" for slug in (*DEMO_CHALLENGES, GENERATED) for name in ("starter.ipynb", "README.md")
    }
    assert files == expected


def test_welcome_runs_clean(competitor: tuple[harness.HubProcess, str]) -> None:
    hub, token = competitor

    output = run_notebook(hub, token, "welcome.ipynb")

    print(output)
    assert "EXECUTED welcome.ipynb" in output
    assert re.search(r"starters/household-income-band/starter\.ipynb", output), output


@pytest.mark.parametrize("slug", [*DEMO_CHALLENGES, GENERATED])
def test_starter_runs_clean_and_is_scored(competitor: tuple[harness.HubProcess, str], slug: str) -> None:
    hub, token = competitor

    output = run_notebook(hub, token, f"starters/{slug}/starter.ipynb")

    print(output)
    scored = re.findall(r"submission \d+ (?:\(code\) )?scored.*: public.*", output)
    assert len(scored) == 1, output
    assert "{'id'" not in output and "'state': 'scored'" not in output  # no raw dict echoed under the score line
