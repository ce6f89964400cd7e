"""A first-time user's ten minutes, in a real browser: competitor, judge, organiser.

The platform runs for real (hub, bubblewrap sandboxes, scoring service and worker, leaderboard);
one example challenge is published from a real SDV replica. Chromium then does what a new user
does, with a screenshot of each step under ``test-artifacts/first-ten-minutes/``:

- the competitor signs in, opens ``starters/<slug>/starter.ipynb`` from JupyterLab's file browser
  (no terminal), runs all cells and sees the score; JupyterLab shows no news toast and makes no
  failing language-server request; ``welcome.ipynb`` opens clean (not marked modified); then the
  leaderboard opens on that challenge (the one they submitted to), and they tick a final selection;
- a judge opens the submission in the judges' console (what is judged is shown) and saves a review;
- an organiser uploads a bundle ``.zip``, sees it validated, and publishes it.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import browser
import harness
import pytest
import yaml
from sqlalchemy import select

from arena.accounts import create_user
from arena.db import Database
from arena.models import AuditEvent, Challenge, ReviewScore, Submission
from challenges import load_bundle, make_example, publish_challenge
from sandboxes import ensure_sandbox_env

_MISSING = harness.e2e_missing() or browser.browser_missing()
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(_MISSING is not None, reason=str(_MISSING)),
]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "first-ten-minutes"
SLUG = "household-income-band"
NEW_SLUG = "income-band-second-round"
PASSWORD = "correct-horse-battery"
USERS = {"lan": "competitor", "hoa": "judge", "minh": "organiser"}
SCORED = re.compile(r"submission \d+ (?:\(code\) )?scored.*: public")


@pytest.fixture(scope="module")
def platform(e2e_root: Path) -> Iterator[tuple[harness.HubProcess, Path]]:
    settings = harness.make_settings(e2e_root / f"arena-first-{uuid.uuid4().hex[:8]}")
    ensure_sandbox_env(settings)
    db = Database.from_settings(settings)
    db.migrate()
    bundles = settings.resolved_data_dir / "bundles"
    folder = make_example(SLUG, 7, bundles, db, settings, people=1500)
    publish_challenge(db, settings, load_bundle(folder), actor="demo")
    with db.session() as session:
        for name, role in USERS.items():
            create_user(session, name, role, PASSWORD)
    db.dispose()
    second = _second_round_zip(folder, bundles)
    with harness.hub_running(settings) as hub:
        yield hub, second


def _second_round_zip(folder: Path, bundles: Path) -> Path:
    """The example bundle under a new slug, without a starter notebook, zipped (what an organiser uploads)."""
    copy = bundles / "upload" / NEW_SLUG
    shutil.copytree(folder, copy)
    spec = yaml.safe_load((copy / "challenge.yaml").read_text())
    (copy / spec.pop("starter_notebook")).unlink()
    spec.update(slug=NEW_SLUG, title="Household income band, second round")
    (copy / "challenge.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return Path(shutil.make_archive(str(bundles / NEW_SLUG), "zip", copy.parent, NEW_SLUG))


def _shot(page, name: str) -> Path:  # noqa: ANN001 (playwright's Page, imported lazily by browser)
    path = ARTIFACTS / name
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def _open_in_file_browser(page, *names: str) -> None:  # noqa: ANN001
    for name in names:
        page.locator(".jp-DirListing-item", has_text=name).first.dblclick()


def _menu(page, top: str, item: str) -> None:  # noqa: ANN001
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).first.click()


def _db(hub: harness.HubProcess) -> Database:
    return Database(hub.settings.db_url)


def test_competitor_runs_the_starter_from_the_file_browser_and_ticks_a_final_selection(
    platform: tuple[harness.HubProcess, Path],
) -> None:
    hub, _zip = platform
    failed_requests: list[str] = []
    with browser.logged_in_page(hub.url, "lan", PASSWORD, timeout=120) as page:
        page.on("response", lambda r: failed_requests.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(f"{hub.url}/hub/spawn")
        page.locator(".jp-DirListing-content").wait_for(timeout=120_000)
        page.locator(".jp-DirListing-item", has_text="starters").wait_for()
        page.wait_for_timeout(3000)  # what a load would bring (news toast, lsp status) has come by now
        _shot(page, "01-jupyterlab-home.png")
        assert "get notified about official Jupyter news" not in page.inner_text("body")

        _open_in_file_browser(page, "welcome.ipynb")
        page.locator(".jp-NotebookPanel").first.wait_for()
        page.wait_for_timeout(4000)  # the kernel starts and reports its language info
        _shot(page, "02-welcome-opened.png")
        assert page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").count() == 0, "welcome opened modified"
        _menu(page, "File", "Close Tab")

        _open_in_file_browser(page, "starters", SLUG)
        _shot(page, "03-starter-folder.png")
        _open_in_file_browser(page, "starter.ipynb")
        page.locator(".jp-NotebookPanel").first.wait_for()
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(timeout=120_000)
        _shot(page, "04-starter-opened.png")
        _menu(page, "Run", "Run All Cells")
        page.get_by_text(SCORED).first.wait_for(timeout=600_000)
        _shot(page, "05-starter-scored.png")
        outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
    assert sum(bool(SCORED.search(text)) for text in outputs) == 1
    assert not any("'state': 'scored'" in text for text in outputs)  # no raw dict echoed
    assert not [request for request in failed_requests if "/lsp/" in request], failed_requests

    with browser.logged_in_page(hub.url, "lan", PASSWORD, timeout=120) as page:
        board = browser.open_page(
            page, f"{hub.url}/services/leaderboard/?page=leaderboard", wait_for_text="lan",
            screenshot=ARTIFACTS / "06-leaderboard-default-challenge.png", timeout=120,
        )  # fmt: skip
        assert "Household income band" in board
        browser.open_page(
            page, f"{hub.url}/services/leaderboard/?page=plots", wait_for_text="Submissions per day",
            screenshot=ARTIFACTS / "07-plots.png", timeout=120,
        )  # fmt: skip
        browser.open_page(
            page, f"{hub.url}/services/leaderboard/?page=my-submissions", wait_for_text="Final selection",
            screenshot=ARTIFACTS / "08-my-submissions.png", timeout=120,
        )  # fmt: skip
        page.get_by_text(re.compile(r"^#\d+ · ")).first.click()
        page.get_by_role("button", name="Save final selection").click()
        page.get_by_text("Final selection saved: #").wait_for(timeout=60_000)
        _shot(page, "09-final-selection-saved.png")
    database = _db(hub)
    with database.session() as session:
        selected = session.scalars(select(Submission.id).where(Submission.selected)).all()
    database.dispose()
    assert len(selected) == 1


def test_judge_opens_the_submission_and_saves_a_review(platform: tuple[harness.HubProcess, Path]) -> None:
    hub, _zip = platform
    comment = "Baseline as given; a first honest entry."
    with browser.logged_in_page(hub.url, "hoa", PASSWORD, timeout=120) as page:
        text = browser.open_page(
            page, f"{hub.url}/services/leaderboard/?page=judges&challenge={SLUG}", wait_for_text="What is judged",
            screenshot=ARTIFACTS / "10-judges-console.png", timeout=120,
        )  # fmt: skip
        pages = page.locator('[data-testid="stSidebar"]').inner_text().splitlines()  # a judge has no team pages
        assert "Submission to judge" in text and "My submissions" not in pages and "Team" not in pages, pages
        page.get_by_label("overall (0–10)", exact=True).fill("7")
        page.get_by_label("Comment on overall").fill(comment)
        page.get_by_role("button", name="Save review").click()
        page.get_by_text("Saved your review of submission").wait_for(timeout=60_000)
        _shot(page, "11-judge-review-saved.png")
    database = _db(hub)
    with database.session() as session:
        assert session.scalars(select(ReviewScore.comment)).all() == [comment]
    database.dispose()


def test_organiser_uploads_a_bundle_and_publishes_it(platform: tuple[harness.HubProcess, Path]) -> None:
    hub, bundle = platform
    with browser.logged_in_page(hub.url, "minh", PASSWORD, timeout=120) as page:
        browser.open_page(
            page, f"{hub.url}/services/leaderboard/?page=organiser", wait_for_text="Publish a challenge",
            screenshot=ARTIFACTS / "12-organiser.png", timeout=120,
        )  # fmt: skip
        page.locator("input[type='file']").set_input_files(str(bundle))
        page.get_by_text("Valid bundle").wait_for(timeout=120_000)
        _shot(page, "13-bundle-validated.png")
        page.get_by_role("button", name="Publish", exact=True).click()
        # st.success renders the slug's backticks as code: the visible text has none.
        page.get_by_text(re.compile(f"^(Published {NEW_SLUG}|Not published)")).first.wait_for(timeout=300_000)
        _shot(page, "14-bundle-published.png")
        assert f"Published {NEW_SLUG}: competitors find its starter" in browser.visible_text(page)
    database = _db(hub)
    with database.session() as session:
        assert NEW_SLUG in session.scalars(select(Challenge.slug)).all()
        assert ("challenge.publish", "minh") in session.execute(select(AuditEvent.action, AuditEvent.actor)).all()
    database.dispose()
    assert (hub.settings.challenges_dir / NEW_SLUG / "starter.ipynb").is_file()  # generated from the spec
