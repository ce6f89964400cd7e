"""The JupyterHub configuration built from settings, and how the hub is launched."""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets.config import Config

from arena.settings import Settings
from hub import configure, hub_command, ops_token, prepare_hub_dir, settings_env
from hub.config import LEADERBOARD_SERVICE, SERVER_TOKEN_SCOPES
from hub.launch import CONFIG_FILE
from scoring import auth as scoring_auth


@pytest.fixture
def config(settings: Settings) -> Config:
    c = Config()
    configure(c, settings)
    return c


def test_hub_listens_where_sandboxes_and_browsers_reach_it(config: Config, settings: Settings) -> None:
    hub = config.JupyterHub

    assert hub.hub_bind_url == f"http://0.0.0.0:{settings.hub_port}"
    assert hub.hub_connect_url == f"http://127.0.0.1:{settings.hub_port}"
    assert hub.bind_url == f"http://127.0.0.1:{settings.public_port}"
    assert hub.db_url == f"sqlite:///{settings.hub_dir / 'jupyterhub.sqlite'}"
    assert hub.cleanup_servers is False  # restarts keep sandboxes; `arena up` stops them itself
    assert hub.spawner_class.__name__ == "BwrapSpawner" and hub.authenticator_class.__name__ == "ArenaAuthenticator"


def test_services_and_roles(config: Config, settings: Settings) -> None:
    services = {service["name"]: service for service in config.JupyterHub.services}
    roles = {role["name"]: role for role in config.JupyterHub.load_roles}

    assert set(services) == {"arena-ops", "scoring", "leaderboard"}
    assert services["scoring"]["command"][-1] == "serve-scoring"
    assert services["scoring"]["url"] == f"http://127.0.0.1:{settings.scoring_port}"
    assert services["scoring"]["environment"]["ARENA_DATA_DIR"] == str(settings.resolved_data_dir)
    assert str(settings.leaderboard_port) in services["leaderboard"]["command"]
    assert all(services[name]["oauth_no_confirm"] for name in ("scoring", "leaderboard"))
    assert services["scoring"]["display"] is False and services["leaderboard"].get("display", True)  # no dead menu entry
    assert services["arena-ops"]["api_token"] == ops_token(settings)
    assert {"access:services!service=scoring", "access:services!service=leaderboard"} <= set(roles["user"]["scopes"])
    assert roles["arena-ops"]["services"] == ["arena-ops"] and "admin:users" in roles["arena-ops"]["scopes"]
    # the leaderboard's own token reaches the scoring API (reviews, board-view audit), and nothing else
    assert roles[LEADERBOARD_SERVICE] == {
        "name": LEADERBOARD_SERVICE, "scopes": ["access:services!service=scoring"], "services": [LEADERBOARD_SERVICE]
    }
    assert LEADERBOARD_SERVICE == scoring_auth.LEADERBOARD_SERVICE and LEADERBOARD_SERVICE in services
    assert config.Spawner.server_token_scopes == SERVER_TOKEN_SCOPES


def test_services_can_be_left_out(settings: Settings) -> None:
    c = Config()
    configure(c, settings, managed_services=False)

    assert [service["name"] for service in c.JupyterHub.services] == ["arena-ops"]
    assert LEADERBOARD_SERVICE not in {role["name"] for role in c.JupyterHub.load_roles}


def test_settings_survive_the_trip_through_the_environment(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    custom = settings.model_copy(update={"admin_users": ["olga"], "hub_port": 9999, "sandbox_cpu_seconds": 60})
    for key, value in settings_env(custom).items():
        monkeypatch.setenv(key, value)

    rebuilt = Settings(_env_file=None)

    assert rebuilt.admin_users == ["olga"] and rebuilt.hub_port == 9999 and rebuilt.sandbox_cpu_seconds == 60
    assert rebuilt.db_url == custom.db_url and rebuilt.hub_dir == custom.hub_dir


def test_hub_command_and_private_hub_dir(settings: Settings) -> None:
    hub_dir = prepare_hub_dir(settings)

    argv, env, cwd = hub_command(settings)

    assert argv[-2:] == ["-f", str(CONFIG_FILE)] and Path(argv[0]).name == "jupyterhub"
    assert env["ARENA_HUB_PORT"] == str(settings.hub_port) and cwd == hub_dir
    assert hub_dir.stat().st_mode & 0o777 == 0o700
    assert (hub_dir / "arena-ops.token").stat().st_mode & 0o777 == 0o600
    assert len(ops_token(settings)) == 64
