"""Run the real scoring service in a process of its own, for the fault tests (which kill it).

``python scoring_process.py PORT USER[,USER...]``: the app of :func:`scoring.create_app` under
uvicorn on 127.0.0.1:PORT, settings from the ``ARENA_*`` environment, and tokens ``tok-<user>``
accepted for each USER (no hub: the hub's token check is not what these tests break).
"""

from __future__ import annotations

import logging
import sys

import uvicorn

from arena.settings import Settings
from scoring import create_app


def main() -> None:
    """Serve until killed."""
    port, users = int(sys.argv[1]), sys.argv[2].split(",")
    tokens = {f"tok-{user}": user for user in users}
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    app = create_app(Settings(), authenticate=tokens.get, prefix="/services/scoring")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
