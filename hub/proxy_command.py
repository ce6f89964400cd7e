"""The command that starts configurable-http-proxy: upstream connections closed by the proxy first.

configurable-http-proxy pools keep-alive connections to its targets without an idle timeout;
uvicorn (the scoring service) closes a connection idle for its keep-alive timeout. When a request
is written on a pooled connection just as the service closes it, the proxy answers 503 ("socket
hang up"): about one request in a few hundred under the load test. The fix is the usual rule
for chained keep-alive hops: the client side of each hop must give up an idle connection before
the server side does.

- proxy → targets: ``hub/proxy_idle_upstream.js`` runs the proxy with its agents' idle timeout
  at a third of ``http_keep_alive_seconds``; the scoring service keeps idle connections for
  ``http_keep_alive_seconds`` (:mod:`scoring.server`); the hub, the leaderboard's front and the
  notebook servers are tornado servers (an hour).
- clients → proxy: the proxy keeps idle client connections for ``http_keep_alive_seconds``
  (``--keep-alive-timeout``), longer than HTTP clients' own pools (httpx: 5 s).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from arena.settings import Settings

__all__ = ["IDLE_UPSTREAM_SCRIPT", "proxy_command", "upstream_idle_ms"]

IDLE_UPSTREAM_SCRIPT = Path(__file__).resolve().parent / "proxy_idle_upstream.js"


def upstream_idle_ms(settings: Settings) -> int:
    """How long the proxy keeps an idle connection to a target (ms): a third of the targets' keep-alive."""
    return max(100, settings.http_keep_alive_seconds * 1000 // 3)


def proxy_command(settings: Settings) -> list[str]:
    """argv prefix of configurable-http-proxy (JupyterHub appends the ports and the hub's error target).

    Falls back to the bare ``configurable-http-proxy`` (then upstream connections have no idle
    timeout) when ``node`` or the proxy is not on ``PATH``; JupyterHub then reports the missing proxy.
    """
    keep_alive = ["--keep-alive-timeout", str(settings.http_keep_alive_seconds * 1000)]
    node, proxy = shutil.which("node"), shutil.which("configurable-http-proxy")
    if node is None or proxy is None:
        return ["configurable-http-proxy", *keep_alive]
    return [node, str(IDLE_UPSTREAM_SCRIPT), str(upstream_idle_ms(settings)), str(Path(proxy).resolve()), *keep_alive]
