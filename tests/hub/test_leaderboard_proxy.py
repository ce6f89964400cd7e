"""The leaderboard's OAuth front (real jhsingle-native-proxy, patched) answers a signed-out request
with a redirect to the hub's login and prints no traceback (it printed one at every hub start)."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
from harness import free_port


def test_a_signed_out_request_is_redirected_to_the_hub_without_a_traceback() -> None:
    port, app_port = free_port(), free_port()
    env = {
        "JUPYTERHUB_API_URL": "http://127.0.0.1:9/hub/api",  # never called: no token or cookie comes in
        "JUPYTERHUB_API_TOKEN": "service-token",
        "JUPYTERHUB_SERVICE_PREFIX": "/services/leaderboard/",
        "JUPYTERHUB_CLIENT_ID": "service-leaderboard",
        "JUPYTERHUB_BASE_URL": "/",
        "JUPYTERHUB_OAUTH_CALLBACK_URL": "/services/leaderboard/oauth_callback",
        "PATH": "/usr/bin:/bin",
    }
    argv = [sys.executable, "-m", "hub.leaderboard_proxy", "--ip", "127.0.0.1", "--port", str(port)]
    argv += ["--destport", str(app_port), "--authtype", "oauth", "--forward-user-info", "--"]
    argv += [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(app_port)]
    proxy = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, response = time.monotonic() + 30, None
        while response is None and time.monotonic() < deadline:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/services/leaderboard/", timeout=5)
            except httpx.HTTPError:
                time.sleep(0.2)
        time.sleep(0.5)  # what the proxy logs about the request
    finally:
        proxy.terminate()
        output = proxy.communicate(timeout=30)[0]

    assert response is not None and response.status_code == 302, output
    assert "/hub/api/oauth2/authorize?client_id=service-leaderboard" in response.headers["location"]
    assert "Traceback" not in output and "TypeError" not in output, output
