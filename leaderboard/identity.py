"""Who is looking: the hub user forwarded by the OAuth proxy in front of the app.

``jhsingle-native-proxy --forward-user-info`` logs the browser in with the hub
(OAuth) and adds the header ``X-CDSDASHBOARDS-JH-USER`` to every request it passes
on, HTTP and websocket alike: a JSON object ``{"kind", "name", "admin", "groups"}``.
The proxy drops that header when a browser sends it, and Streamlit listens on
127.0.0.1 only, so the header can be trusted; nothing else (query parameters,
cookies) ever names the viewer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

__all__ = ["USER_HEADER", "hub_user_from_headers", "parse_user_header"]

USER_HEADER = "X-CDSDASHBOARDS-JH-USER"


def parse_user_header(value: str | None) -> str | None:
    """The hub user name carried by a forwarded user-info header value.

    Args:
        value: The raw header value (JSON), or None when the header is absent.

    Returns:
        The user name, or None when the header is absent, malformed, or names
        something other than a user (e.g. a service).
    """
    if not value:
        return None
    try:
        info = json.loads(value)
    except ValueError:
        return None
    if not isinstance(info, dict) or info.get("kind", "user") != "user":
        return None
    name = info.get("name")
    return name if isinstance(name, str) and name else None


def hub_user_from_headers(headers: Mapping[str, str]) -> str | None:
    """The hub user name forwarded in ``headers`` (case-insensitive lookup), or None."""
    wanted = USER_HEADER.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return parse_user_header(value)
    return None
