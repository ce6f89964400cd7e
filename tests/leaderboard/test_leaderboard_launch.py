"""The viewer's identity comes only from the header the hub's OAuth proxy forwards."""

from __future__ import annotations

import json
from pathlib import Path

from jhsingle_native_proxy import proxyhandlers

from leaderboard import USER_HEADER, app_path, hub_user_from_headers, streamlit_command
from leaderboard.identity import parse_user_header


def _forwarded(**info: object) -> str:
    # The value exactly as jhsingle-native-proxy --forward-user-info builds it.
    return json.dumps({key: info.get(key) for key in ("kind", "name", "admin", "groups")})


def test_header_name_is_the_one_the_installed_proxy_sends() -> None:
    source = Path(proxyhandlers.__file__).read_text(encoding="utf-8")

    assert f"'{USER_HEADER}'" in source


def test_forwarded_user_is_read_whatever_the_header_case() -> None:
    value = _forwarded(kind="user", name="alice", admin=False, groups=["competitor"])

    assert hub_user_from_headers({"X-Cdsdashboards-Jh-User": value}) == "alice"
    assert hub_user_from_headers({USER_HEADER.lower(): value}) == "alice"


def test_missing_malformed_or_non_user_header_means_nobody() -> None:
    assert hub_user_from_headers({"Host": "localhost"}) is None
    assert parse_user_header("") is None
    assert parse_user_header("{not json") is None
    assert parse_user_header(json.dumps(["alice"])) is None
    assert parse_user_header(_forwarded(kind="service", name="scoring")) is None
    assert parse_user_header(_forwarded(kind="user", name="")) is None


def test_app_path_names_the_streamlit_entry_point() -> None:
    path = app_path()

    assert path.name == "app.py" and path.is_file()
    assert "run()" in path.read_text(encoding="utf-8")


def test_streamlit_command_serves_the_app_on_localhost_only() -> None:
    command = streamlit_command("{port}", python="/opt/env/bin/python")

    assert command[:5] == ["/opt/env/bin/python", "-m", "streamlit", "run", str(app_path())]
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert options["--server.port"] == "{port}" and options["--server.address"] == "127.0.0.1"
    assert "--server.baseUrlPath" not in options  # the proxy strips the service prefix
