"""A real browser for the end-to-end tests: log in through the hub's form, open a page, look at it.

Drives Debian's Chromium (``apt-get install chromium``) with the Python ``playwright``
package; ``playwright install`` is never needed (it would download a browser of its own).
Import it with ``import browser`` from a test under ``tests/hub/``, beside ``harness``.

What a test gets back is the text a person sees: ``document.body.innerText`` plus the
cells of every Streamlit data grid. ``st.dataframe`` draws its cells on a canvas, so they
are not in ``innerText``; the grid (glide-data-grid) mirrors the rows it draws into an
accessibility table, which is read here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright
except ImportError:  # browser_missing() says so; importing this module still works
    sync_playwright = None
    PlaywrightError = Exception

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "BrowserError",
    "browser_missing",
    "logged_in_page",
    "open_as",
    "open_page",
    "visible_text",
]

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking switches Chromium keeps calling out, which a closed network refuses.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT = {"width": 1280, "height": 1000}

# The text a person sees: the page's innerText, then each data grid's rows (tab-separated cells).
_VISIBLE_TEXT_JS = """() => {
    const grids = Array.from(document.querySelectorAll('[data-testid="stDataFrame"] table'));
    const rows = grids.flatMap(table => Array.from(table.querySelectorAll('tr')).map(
        row => Array.from(row.querySelectorAll('th, td')).map(cell => cell.textContent.trim()).join('\\t')));
    return [document.body.innerText, ...rows].join('\\n');
}"""
# Streamlit has connected, finished its script run and drawn something in the main area.
_STREAMLIT_READY_JS = """(wanted) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (!document.querySelector('[data-testid="stMain"] [data-testid="stElementContainer"]')) return false;
    // Widgets whose code loads lazily (select boxes, tables, code) show a skeleton until it has loaded.
    if (document.querySelector('[data-testid="stMain"] [data-testid="stSkeleton"]')) return false;
    return wanted === null || (VISIBLE_TEXT)().includes(wanted);
}""".replace("VISIBLE_TEXT", _VISIBLE_TEXT_JS)

# Creating a sandbox's veth pair changes the host's network; Chromium then aborts requests in
# flight (net::ERR_NETWORK_CHANGED) and Streamlit shows this error instead of a lazily loaded widget.
_LOST_CHUNK = "Failed to fetch dynamically imported module"
_RELOADS = 3


class BrowserError(AssertionError):
    """The browser did not get where it was sent; the message says where it got and what it saw."""


def browser_missing() -> str | None:
    """Why a real browser cannot run here (None when it can): a reason for ``pytest.mark.skipif``."""
    if sync_playwright is None:
        return "the Python package playwright is not installed (pip install playwright)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    return None


def visible_text(page: Page) -> str:
    """The text a person sees on ``page``: ``innerText`` plus the rows of Streamlit's data grids."""
    return page.evaluate(_VISIBLE_TEXT_JS)


@contextmanager
def logged_in_page(hub_url: str, username: str, password: str, *, timeout: float = 60) -> Iterator[Page]:
    """A fresh Chromium page logged in to the hub through its real login form.

    The form is filled and submitted like a person does (``#username_input``,
    ``#password_input``, ``#login_submit`` of JupyterHub's ``login.html``); the hub is
    asked to land on ``/hub/home`` afterwards, so no notebook server is started.

    Args:
        hub_url: the hub's public address, e.g. ``http://127.0.0.1:8000``.
        username: the hub user.
        password: their password.
        timeout: seconds allowed for each step.

    Raises:
        BrowserError: the hub did not accept the log-in (the login page's message is quoted).
    """
    if (missing := browser_missing()) is not None:
        raise BrowserError(f"no browser: {missing}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            page = chromium.new_context(viewport=VIEWPORT).new_page()
            page.set_default_timeout(timeout * 1000)
            page.goto(f"{hub_url}/hub/login?next={quote('/hub/home')}")
            page.fill("#username_input", username)
            page.fill("#password_input", password)
            with page.expect_navigation():
                page.click("#login_submit")
            if "/hub/home" not in page.url:
                raise BrowserError(f"log-in of {username!r} failed: at {page.url}, page says {visible_text(page)!r}")
            yield page
        finally:
            chromium.close()


def open_page(page: Page, url: str, *, wait_for_text: str | None = None, screenshot: Path, timeout: float = 60) -> str:
    """Open ``url`` in ``page``, wait until Streamlit has drawn it, save a screenshot, return its text.

    The screenshot is saved also when the wait fails, so a failing test leaves a picture. A
    page whose scripts were cut off by a host network change (sandboxes starting) is reloaded.

    Args:
        page: a page, e.g. from :func:`logged_in_page`.
        url: the full address to open.
        wait_for_text: also wait until this text is visible (see :func:`visible_text`).
        screenshot: where to save the full-page PNG (folders are created).
        timeout: seconds to wait for the page.

    Returns:
        The visible text (:func:`visible_text`).

    Raises:
        BrowserError: the app did not finish drawing, or ``wait_for_text`` did not appear, in time.
    """
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    console_errors: list[str] = []  # e.g. a refused websocket: the likeliest reason for a blank app
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    started = time.monotonic()
    try:
        page.goto(url)
        page.wait_for_function(_STREAMLIT_READY_JS, arg=wait_for_text, timeout=timeout * 1000)
        for _ in range(_RELOADS):
            if _LOST_CHUNK not in visible_text(page):
                break
            page.reload()  # a network change on the host aborted a script download (see _LOST_CHUNK)
            page.wait_for_function(_STREAMLIT_READY_JS, arg=wait_for_text, timeout=timeout * 1000)
    except PlaywrightError as error:
        page.screenshot(path=str(screenshot), full_page=True)
        waited = f" and for {wait_for_text!r}" if wait_for_text is not None else ""
        raise BrowserError(
            f"waited {time.monotonic() - started:.0f}s for the Streamlit app{waited} at {url}; "
            f"got to {page.url} showing {visible_text(page)!r} (screenshot {screenshot}); "
            f"browser console errors: {sorted(set(console_errors))[:5]}"
        ) from error
    page.screenshot(path=str(screenshot), full_page=True)
    return visible_text(page)


def open_as(
    hub_url: str,
    username: str,
    password: str,
    path: str,
    *,
    wait_for_text: str | None = None,
    screenshot: Path,
    timeout: float = 60,
) -> str:
    """Log in as ``username`` in a fresh browser, open the hub ``path``, screenshot it, return its text.

    Args:
        hub_url: the hub's public address, e.g. ``http://127.0.0.1:8000``.
        username: the hub user.
        password: their password.
        path: where to go after log-in, e.g. ``/services/leaderboard/?challenge=churn``.
        wait_for_text: also wait until this text is visible.
        screenshot: where to save the full-page PNG.
        timeout: seconds allowed for the log-in and, separately, for the page.

    Returns:
        The visible text of the page (:func:`visible_text`).

    Raises:
        BrowserError: the log-in failed, or the page did not show in time.
    """
    with logged_in_page(hub_url, username, password, timeout=timeout) as page:
        return open_page(page, hub_url + path, wait_for_text=wait_for_text, screenshot=screenshot, timeout=timeout)
