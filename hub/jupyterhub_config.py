# JupyterHub configuration of the data arena: `jupyterhub -f hub/jupyterhub_config.py`.
# Everything comes from arena.settings (ARENA_* environment); the logic lives in hub/config.py.
from arena.settings import get_settings
from hub.config import configure

configure(c, get_settings())  # noqa: F821 - `c` is provided by JupyterHub
