"""End to end: jupyterhub-idle-culler, run by the real hub, stops an idle sandbox; the home stays.

With ``sandbox_idle_seconds`` set to a few seconds, a competitor's server that sees no
activity is stopped by the ``idle-culler`` service (its network and processes go too);
the file written in the home is still there when the competitor starts a server again.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import harness
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(harness.e2e_missing() is not None, reason=str(harness.e2e_missing()))]

PASSWORD = "correct-horse-battery"
IDLE_SECONDS = 12
NETWORK_PREFIX = "10.218"  # apart from the other end-to-end modules, which may run at the same time


def wait_until_stopped(hub: harness.HubProcess, user: str, timeout: float) -> float:
    """Seconds until the hub reports no server for ``user`` (raises TimeoutError after ``timeout``)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not hub.api("GET", f"/users/{user}").json().get("servers"):
            return time.monotonic() - started
        time.sleep(0.5)
    raise TimeoutError(f"the server of {user} was not culled within {timeout}s:\n{hub.log()[-3000:]}")


def test_an_idle_sandbox_is_culled_and_its_home_survives(e2e_root: Path) -> None:
    data_dir = e2e_root / f"arena-culling-{uuid.uuid4().hex[:8]}"
    overrides = {"sandbox_idle_seconds": IDLE_SECONDS, "sandbox_network_prefix": NETWORK_PREFIX}
    with harness.running_platform(data_dir, {"dana": PASSWORD}, managed_services=False, **overrides) as hub:
        token, _ = harness.spawn(hub, "dana", PASSWORD)
        harness.run_code(hub, "dana", token, "open('/home/jovyan/model.txt', 'w').write('trained')")

        idle_for = wait_until_stopped(hub, "dana", timeout=6 * IDLE_SECONDS)
        networks_after_cull = harness.leftover_sandboxes(hub.settings)
        harness.start_server(hub, "dana", token)
        read_back = harness.run_code(hub, "dana", token, "print(open('/home/jovyan/model.txt').read())")
        log = hub.log()

    assert idle_for > 0 and "Culling server dana" in log
    assert networks_after_cull == []
    assert read_back.strip() == "trained"
