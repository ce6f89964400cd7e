"""The proxy never answers a spurious 503 when a service closes an idle keep-alive connection.

Real configurable-http-proxy (started with :func:`hub.proxy_command.proxy_command`, as the hub
starts it) in front of a real uvicorn server whose keep-alive timeout is
``http_keep_alive_seconds`` (as :mod:`scoring.server` runs the scoring service). Requests are
spaced just around that timeout, where a proxy that reuses its idle connections races the
server's close (measured without the fix: 2 of 40 requests got 503 "socket hang up").
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from harness import free_port

from arena.settings import Settings
from hub.proxy_command import proxy_command, upstream_idle_ms

pytestmark = pytest.mark.skipif(
    shutil.which("configurable-http-proxy") is None or shutil.which("node") is None,
    reason="configurable-http-proxy (npm) and node are needed",
)

KEEP_ALIVE = 1
REQUESTS = 30
JITTER = 0.015

# An app answering with the proxy-side port of the connection it came on (to see reuse).
APP = """
import sys, uvicorn
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": str(scope["client"][1]).encode()})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), timeout_keep_alive=int(sys.argv[2]), log_level="warning")
"""


def _wait_answering(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[str]:
    """URL of the proxy in front of the uvicorn app."""
    settings = Settings(_env_file=None, data_dir=tmp_path, http_keep_alive_seconds=KEEP_ALIVE)
    app_port, proxy_port, api_port = free_port(), free_port(), free_port()
    app = subprocess.Popen([sys.executable, "-c", APP, str(app_port), str(settings.http_keep_alive_seconds)])
    argv = [*proxy_command(settings), "--port", str(proxy_port), "--api-port", str(api_port)]
    argv += ["--default-target", f"http://127.0.0.1:{app_port}", "--log-level", "error"]
    proxy = subprocess.Popen(argv, env={"CONFIGPROXY_AUTH_TOKEN": "test", "PATH": "/usr/bin:/bin"})
    try:
        _wait_answering(f"http://127.0.0.1:{app_port}/")
        _wait_answering(f"http://127.0.0.1:{proxy_port}/")
        yield f"http://127.0.0.1:{proxy_port}/"
    finally:
        for process in (proxy, app):
            process.terminate()
            process.wait(10)


def test_proxy_idle_timeout_is_shorter_than_the_services_keep_alive() -> None:
    settings = Settings(_env_file=None)
    assert upstream_idle_ms(settings) < settings.http_keep_alive_seconds * 1000 / 2
    assert proxy_command(settings)[-2:] == ["--keep-alive-timeout", str(settings.http_keep_alive_seconds * 1000)]


def test_no_spurious_503_at_the_services_keep_alive_timeout(proxied: str) -> None:
    # One client: the proxy then reuses the connection that has been idle for the whole gap.
    statuses: list[int] = []
    with httpx.Client(timeout=10) as session:
        for _ in range(REQUESTS):
            statuses.append(session.get(proxied).status_code)
            time.sleep(KEEP_ALIVE + random.uniform(-JITTER, JITTER))
    assert len(statuses) == REQUESTS
    assert [status for status in statuses if status != 200] == []


def test_the_proxy_still_reuses_connections_in_a_burst(proxied: str) -> None:
    with httpx.Client(timeout=10) as session:
        ports = {session.get(proxied).text for _ in range(10)}
    assert len(ports) < 10, "keep-alive toward the service must still work between close requests"
