"""The hub room: JupyterHub configuration, the bubblewrap sandbox spawner and the arena authenticator.

Public face: ``configure(c, settings)`` (used by ``jupyterhub_config.py``; ``configure_docker`` is
its production-spawner part), ``run_platform``
(what ``arena up`` runs), ``hub_command`` and ``prepare_hub_dir``, ``BwrapSpawner``, ``ArenaAuthenticator``,
``sandbox_argv`` and the errors.
"""

from hub.authenticator import ArenaAuthenticator
from hub.config import configure, ops_token, settings_env
from hub.docker_config import configure_docker
from hub.errors import HubError, SandboxSetupError
from hub.launch import hub_command, prepare_hub_dir
from hub.network import SandboxNetwork, network_for
from hub.platform import run_platform
from hub.sandbox_command import Sandbox, sandbox_argv
from hub.spawner import BwrapSpawner, sandbox_for

__all__ = [
    "ArenaAuthenticator",
    "BwrapSpawner",
    "HubError",
    "Sandbox",
    "SandboxNetwork",
    "SandboxSetupError",
    "configure",
    "configure_docker",
    "hub_command",
    "network_for",
    "ops_token",
    "prepare_hub_dir",
    "run_platform",
    "sandbox_argv",
    "sandbox_for",
    "settings_env",
]
