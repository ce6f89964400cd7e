"""What runs inside a sandbox: the environment builder, the client library, starter notebooks.

Public face: ``ensure_sandbox_env(settings)`` builds (only when its pins or the client
changed) the world-readable venv the sandboxes run; ``seed_home`` puts the starter
notebook into a new home, ``seed_starters`` each open challenge's starter
(``~/starters/<slug>/``, refreshed without overwriting edits); the client itself
(``sandboxes/client/arena_client``) is installed into that venv and never imported here.
"""

from sandboxes.environment import (
    CLIENT_DIR,
    SANDBOX_REQUIREMENTS,
    ensure_sandbox_env,
    env_fingerprint,
    env_is_current,
    sandbox_python_version,
)
from sandboxes.errors import SandboxEnvError
from sandboxes.notebooks import seed_home, starter_notebooks
from sandboxes.starters import for_sandbox_kernel, seed_starters

__all__ = [
    "CLIENT_DIR",
    "SANDBOX_REQUIREMENTS",
    "SandboxEnvError",
    "ensure_sandbox_env",
    "env_fingerprint",
    "env_is_current",
    "for_sandbox_kernel",
    "seed_home",
    "seed_starters",
    "sandbox_python_version",
    "starter_notebooks",
]
