"""Children of the hub die with it: the proxy and the managed services get a parent-death signal.

The hub starts configurable-http-proxy and its managed services (scoring, leaderboard) in
sessions of their own; if the hub itself is killed (SIGKILL, out of memory) before it stops them,
they would run on as orphans holding the platform's ports. ``setpriv --pdeathsig TERM`` sets the
kernel's parent-death signal (``PR_SET_PDEATHSIG``) and then execs the command, so the kernel
sends it SIGTERM when the hub goes, however it goes. (Sandboxes are not included: they outlive a
hub restart on purpose; a platform stop stops them through the hub, and the guardian or the next
``arena up`` sweeps them.)
"""

from __future__ import annotations

import shutil

__all__ = ["dies_with_parent"]


def dies_with_parent(argv: list[str], signal_name: str = "TERM") -> list[str]:
    """``argv`` run so that it gets ``SIG<signal_name>`` when its parent process ends.

    Returns ``argv`` unchanged where ``setpriv`` (util-linux) is missing.
    """
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return list(argv)
    return [setpriv, "--pdeathsig", signal_name, "--", *argv]
