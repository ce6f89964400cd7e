"""How ``arena up`` starts the hub: its state dir, command line, environment and cwd."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from arena.settings import Settings
from hub.config import ops_token, settings_env

__all__ = ["CONFIG_FILE", "hub_command", "prepare_hub_dir"]

CONFIG_FILE = Path(__file__).resolve().parent / "jupyterhub_config.py"


def prepare_hub_dir(settings: Settings) -> Path:
    """Create the hub's state dir (mode 0700) and the ``arena-ops`` token; return the dir."""
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.resolved_data_dir, settings.resolved_data_dir.stat().st_mode | 0o711)
    settings.hub_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.hub_dir, 0o700)
    ops_token(settings)
    return settings.hub_dir


def hub_command(settings: Settings, config_file: Path = CONFIG_FILE) -> tuple[list[str], dict[str, str], Path]:
    """The argv, environment and working dir that run JupyterHub for ``settings``.

    Args:
        settings: platform settings; passed to the hub as explicit ``ARENA_*`` variables.
        config_file: the JupyterHub config file (tests may pass their own).

    Returns:
        ``(argv, env, cwd)`` ready for ``subprocess.Popen``.
    """
    jupyterhub = Path(sys.executable).with_name("jupyterhub")
    argv = [str(jupyterhub) if jupyterhub.exists() else "jupyterhub", "-f", str(config_file)]
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, **settings_env(settings)}
    env["PATH"] = f"{bin_dir}:{env.get('PATH', os.defpath)}"
    return argv, env, settings.hub_dir
