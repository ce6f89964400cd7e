"""jhsingle-native-proxy (the leaderboard's hub-OAuth front) with two fixes for its websockets.

Run as ``python -m hub.leaderboard_proxy ARGS`` with jhsingle-native-proxy's own arguments.

- tornado 6.6 moved its same-host comparison out of ``check_origin``, which the proxy
  calls itself: every browser websocket got 403 and Streamlit stayed blank.
- the proxy did not authenticate websockets, so Streamlit's websocket (where
  ``st.context.headers`` comes from) carried no forwarded hub user; authenticating it
  also closes an unauthenticated path to the app.
- its ``oauth_proxy`` is an ``async`` method under tornado's ``@web.authenticated``, which
  returns None (after redirecting to the login) for a request without a hub login; the proxy
  then awaited None and logged a ``TypeError`` traceback at every such request (the hub's own
  health check of the service at every start, any signed-out visitor).
"""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import urlsplit

from jhsingle_native_proxy import proxyhandlers
from jhsingle_native_proxy.main import run
from tornado import web

__all__ = ["main", "patch_proxy"]


def _same_host_origin(self: Any, origin: str) -> bool:
    return urlsplit(origin).netloc.lower() == self.request.headers.get("Host", "").lower()


def patch_proxy() -> None:
    """Make the proxy accept same-host websockets and require a hub login on them."""
    handler = proxyhandlers.ProxyHandler
    if getattr(handler, "_arena_patched", False):
        return
    original_ws_get = handler.ws_get

    async def ws_get(self: Any, *args: Any, **kwargs: Any) -> Any:
        # current_user also fills the cache the proxy reads to forward the user's header
        if getattr(self, "authtype", None) == "oauth" and self.current_user is None:
            raise web.HTTPError(403, "not signed in to the hub")
        return await original_ws_get(self, *args, **kwargs)

    supervising = proxyhandlers.SuperviseAndProxyHandler
    original_oauth_proxy = supervising.oauth_proxy

    async def oauth_proxy(self: Any, *args: Any, **kwargs: Any) -> Any:
        proxied = original_oauth_proxy(self, *args, **kwargs)  # None: redirected to the hub's login
        return None if proxied is None else await proxied

    handler.check_origin = _same_host_origin
    supervising.oauth_proxy = oauth_proxy
    handler.ws_get = ws_get
    handler._arena_patched = True


def main() -> None:
    """Patch, then run jhsingle-native-proxy's own command line."""
    patch_proxy()
    sys.exit(run())


if __name__ == "__main__":
    main()
