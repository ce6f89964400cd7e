"""Run the scoring service with uvicorn (the hub's managed-service command)."""

from __future__ import annotations

import uvicorn

from arena.settings import Settings
from scoring.app import create_app

__all__ = ["serve"]


def serve(settings: Settings) -> None:
    """Serve the scoring app on ``0.0.0.0:settings.scoring_port`` until SIGINT/SIGTERM.

    uvicorn keeps the logging set up by ``arena.logging.configure_logging`` (text or JSON lines).
    Idle connections stay open ``http_keep_alive_seconds`` (uvicorn's default is 5 s): longer than
    the proxy keeps its own idle connections to the service, so the proxy never writes a request
    on a connection the service is closing (see :mod:`hub.proxy_command`).
    """
    uvicorn.run(
        create_app(settings),
        host="0.0.0.0",
        port=settings.scoring_port,
        log_level="info",
        log_config=None,
        timeout_keep_alive=settings.http_keep_alive_seconds,
    )
