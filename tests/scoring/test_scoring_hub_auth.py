"""The default authenticator: a real HubAuth asking a stand-in hub API (/hub/api/user) over HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from jupyterhub.services.auth import HubAuth

from scoring import HubUnavailableError
from scoring.auth import LEADERBOARD_SERVICE, HubCaller, hub_authenticator

SCOPE = "access:services!service=scoring"
MODELS = {
    "token good": {"kind": "user", "name": "alice", "scopes": [SCOPE, "read:users:name!user=alice"]},
    "token other-service": {"kind": "user", "name": "eve", "scopes": ["access:services!service=leaderboard"]},
    "token service": {"kind": "service", "name": LEADERBOARD_SERVICE, "scopes": [SCOPE, "read:services:name"]},
    "token no-kind": {"name": "bob", "scopes": [SCOPE]},
}


class _HubApi(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        model = MODELS.get(self.headers.get("Authorization", ""))
        body = json.dumps(model or {"status": 403, "message": "bad token"}).encode()
        self.send_response(200 if model and self.path == "/hub/api/user" else 403)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hub_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HubApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hub/api"
    server.shutdown()


def test_hub_tokens_resolve_to_names_only_with_the_service_scope(hub_url: str) -> None:
    auth = HubAuth(api_url=hub_url, api_token="service-token", access_scopes={SCOPE}, cache_max_age=0)
    authenticate = hub_authenticator(auth)
    assert authenticate("good") == HubCaller("alice", "user")
    assert authenticate("other-service") is None  # valid hub token, no access to this service
    assert authenticate("forged") is None


def test_a_service_token_is_told_apart_from_a_user_token(hub_url: str) -> None:
    auth = HubAuth(api_url=hub_url, api_token="service-token", access_scopes={SCOPE}, cache_max_age=0)
    authenticate = hub_authenticator(auth)

    service, user = authenticate("service"), authenticate("no-kind")

    assert service == HubCaller(LEADERBOARD_SERVICE, "service") and service.is_leaderboard_service
    assert user == HubCaller("bob", "user") and not user.is_leaderboard_service  # no kind: never a service


def test_unreachable_hub_is_a_clear_error() -> None:
    auth = HubAuth(api_url="http://127.0.0.1:9/hub/api", api_token="service-token", access_scopes={SCOPE})
    with pytest.raises(HubUnavailableError, match="cannot check the token with the hub at http://127.0.0.1:9/hub/api"):
        hub_authenticator(auth)("any")


@pytest.mark.parametrize(("cache_seconds", "after_revocation"), [(0, None), (3600, HubCaller("alice", "user"))])
def test_a_revoked_token_works_only_as_long_as_the_cache_trusts_it(
    hub_url: str, monkeypatch: pytest.MonkeyPatch, cache_seconds: int, after_revocation: HubCaller | None
) -> None:
    monkeypatch.setenv("JUPYTERHUB_API_URL", hub_url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "service-token")
    monkeypatch.setenv("JUPYTERHUB_SERVICE_NAME", "scoring")
    monkeypatch.setitem(MODELS, "token revocable", MODELS["token good"])
    authenticate = hub_authenticator(cache_seconds=cache_seconds)  # the HubAuth a managed service builds

    before = authenticate("revocable")
    monkeypatch.delitem(MODELS, "token revocable")  # the hub forgets the token

    assert before == HubCaller("alice", "user")
    assert authenticate("revocable") == after_revocation


def test_tokens_checked_at_once_from_many_threads_all_resolve(hub_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The web framework checks tokens from its thread pool; HubAuth's one background loop must not be raced."""
    for number in range(40):
        monkeypatch.setitem(MODELS, f"token t{number}", {"kind": "user", "name": f"u{number}", "scopes": [SCOPE]})
    auth = HubAuth(api_url=hub_url, api_token="service-token", access_scopes={SCOPE}, cache_max_age=60)
    authenticate = hub_authenticator(auth)

    with ThreadPoolExecutor(40) as pool:
        results = list(pool.map(authenticate, [f"t{number}" for number in range(40)]))

    assert results == [HubCaller(f"u{number}", "user") for number in range(40)]
