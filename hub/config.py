"""``configure(c, settings)``: the whole JupyterHub configuration of the platform.

``hub/jupyterhub_config.py`` only calls this; keeping the logic here makes it importable
and testable. Managed services: ``scoring`` (FastAPI, ``arena serve-scoring``) and
``leaderboard`` (Streamlit behind jhsingle-native-proxy's OAuth); service ``arena-ops``
carries an admin token for the platform's own CLI and tests.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from arena.errors import ConfigurationError
from arena.settings import Settings
from hub.culling import culler_role, culler_service
from hub.docker_config import configure_docker
from hub.profiles import configure_profiles

__all__ = [
    "OPS_SERVICE",
    "REPO_ROOT",
    "SERVER_TOKEN_SCOPES",
    "configure",
    "ops_token",
    "ops_token_path",
    "service_definitions",
    "settings_env",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
OPS_SERVICE = "arena-ops"
SERVER_TOKEN_SCOPES = [
    # what jupyterhub-singleuser needs (JupyterHub's default ``server`` role) ...
    "users:activity!user",
    "access:servers!server",
    # ... and the scoring API the sandbox client talks to
    "access:services!service=scoring",
]
USER_SCOPES = ["self", "access:services!service=scoring", "access:services!service=leaderboard"]
OPS_SCOPES = [
    "admin:users",
    "admin:servers",
    "admin:groups",
    "tokens",
    "read:hub",
    "proxy",
    "access:servers",
    "access:services",
]


def settings_env(settings: Settings) -> dict[str, str]:
    """Every setting as an explicit ``ARENA_*`` environment variable (paths resolved)."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, list | dict):
            text = json.dumps(value)
        elif isinstance(value, Path):
            text = str(value.expanduser().resolve())
        else:
            text = str(value)
        env[f"ARENA_{name.upper()}"] = text
    env["ARENA_DATA_DIR"] = str(settings.resolved_data_dir)
    env["ARENA_DATABASE_URL"] = settings.db_url
    return env


def ops_token_path(settings: Settings) -> Path:
    """File holding the ``arena-ops`` service's API token (under the hub dir, mode 0600)."""
    return settings.hub_dir / "arena-ops.token"


def ops_token(settings: Settings) -> str:
    """The ``arena-ops`` API token, generated on first use."""
    path = ops_token_path(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def _bin(name: str) -> str:
    """A console script of the hub's own environment (falls back to the bare name on PATH)."""
    script = Path(sys.executable).with_name(name)
    return str(script) if script.exists() else name


def service_definitions(settings: Settings) -> list[dict[str, Any]]:
    """The managed ``scoring`` and ``leaderboard`` services."""
    env = {**settings_env(settings), "PATH": f"{Path(sys.executable).parent}:{os.defpath}"}
    streamlit_args = [
        *("{--}server.port", "{port}", "{--}server.address", "127.0.0.1", "{--}server.headless", "True"),
        *("{--}server.enableCORS", "False", "{--}server.enableXsrfProtection", "False"),
        *("{--}browser.gatherUsageStats", "False", "{--}client.toolbarMode", "viewer"),
    ]
    return [
        {
            "name": "scoring",
            "url": f"http://127.0.0.1:{settings.scoring_port}",
            "command": [_bin("arena"), "serve-scoring"],
            "environment": env,
            "cwd": str(settings.resolved_data_dir),
            "oauth_no_confirm": True,
        },
        {
            "name": "leaderboard",
            "url": f"http://127.0.0.1:{settings.leaderboard_port}",
            "command": [
                *(sys.executable, "-m", "hub.leaderboard_proxy"),
                *("--ip", "127.0.0.1", "--port", str(settings.leaderboard_port)),
                *("--destport", str(settings.streamlit_port), "--authtype", "oauth", "--forward-user-info"),
                *(_bin("streamlit"), "run", str(REPO_ROOT / "leaderboard" / "app.py"), *streamlit_args),
            ],
            "environment": env,
            "cwd": str(settings.resolved_data_dir),
            "oauth_no_confirm": True,
        },
    ]


def _configure_named_servers(c: Any, settings: Settings) -> None:
    """Let each user run ``sandbox_named_servers`` named servers (e.g. one per challenge)."""
    if settings.sandbox_named_servers <= 0:
        return
    if settings.spawner == "bwrap":  # one network namespace and address per user, not per server
        raise ConfigurationError(
            f"ARENA_SANDBOX_NAMED_SERVERS={settings.sandbox_named_servers} needs ARENA_SPAWNER=docker: "
            "the bubblewrap spawner runs one server per user"
        )
    c.JupyterHub.allow_named_servers = True
    c.JupyterHub.named_server_limit_per_user = settings.sandbox_named_servers


def configure(c: Any, settings: Settings, *, managed_services: bool = True) -> None:
    """Fill the JupyterHub config object ``c`` from ``settings``.

    Args:
        c: the traitlets config object of ``jupyterhub_config.py``.
        settings: platform settings.
        managed_services: start the scoring and leaderboard services (tests of the hub
            alone switch them off; the idle culler runs whenever ``sandbox_idle_seconds`` > 0).

    Raises:
        ConfigurationError: the settings ask for something the chosen spawner cannot do.
    """
    from hub.authenticator import ArenaAuthenticator
    from hub.spawner import BwrapSpawner

    hub_dir = settings.hub_dir
    c.JupyterHub.authenticator_class = ArenaAuthenticator
    c.JupyterHub.spawner_class = BwrapSpawner
    c.JupyterHub.bind_url = f"http://{settings.public_ip}:{settings.public_port}"
    c.JupyterHub.hub_bind_url = f"http://0.0.0.0:{settings.hub_port}"
    c.JupyterHub.hub_connect_url = f"http://127.0.0.1:{settings.hub_port}"
    c.JupyterHub.db_url = f"sqlite:///{hub_dir / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(hub_dir / "jupyterhub_cookie_secret")
    c.JupyterHub.cleanup_servers = True
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.proxy_api_port}"
    c.ConfigurableHTTPProxy.pid_file = str(hub_dir / "jupyterhub-proxy.pid")
    c.Authenticator.admin_users = set(settings.admin_users)
    c.Spawner.start_timeout = settings.spawn_timeout_seconds
    c.Spawner.http_timeout = settings.spawn_timeout_seconds
    c.Spawner.default_url = "/lab"
    c.Spawner.server_token_scopes = list(SERVER_TOKEN_SCOPES)

    if settings.spawner == "docker":
        configure_docker(c, settings)
    _configure_named_servers(c, settings)
    configure_profiles(c, settings)

    ops = {"name": OPS_SERVICE, "api_token": ops_token(settings)}
    culler = culler_service(settings)
    c.JupyterHub.services = [
        ops,
        *(service_definitions(settings) if managed_services else []),
        *([culler] if culler else []),
    ]
    c.JupyterHub.load_roles = [
        {"name": "user", "scopes": list(USER_SCOPES)},
        {"name": OPS_SERVICE, "scopes": list(OPS_SCOPES), "services": [OPS_SERVICE]},
        *([culler_role()] if culler else []),
    ]
