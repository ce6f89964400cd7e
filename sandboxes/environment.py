"""Build the Python environment every sandbox runs (a venv outside /root, world-readable).

The machine's own Python lives under ``/root`` (mode 0700), which an unprivileged sandbox
user cannot enter, so the environment is created from ``settings.sandbox_base_python``
(Debian's ``/usr/bin/python3``) and filled by the project's pip. It is rebuilt only when
its fingerprint (pinned requirements, what is left out, the server config, the client's
source) changes.

Start-up time matters (a competitor waits for it): packages that only slow the server's start
are removed after the install (:data:`SANDBOX_LEFT_OUT`), and a server config file
(:data:`SERVER_CONFIG`) switches off what a sandbox without network cannot use.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from arena.settings import Settings
from sandboxes.errors import SandboxEnvError

__all__ = [
    "CLIENT_DIR",
    "JUPYTER_CONFIG_DIR",
    "SANDBOX_LEFT_OUT",
    "SANDBOX_REQUIREMENTS",
    "SERVER_CONFIG",
    "ensure_sandbox_env",
    "env_fingerprint",
    "env_is_current",
    "sandbox_python_version",
]

CLIENT_DIR = Path(__file__).parent / "client"
STAMP_NAME = ".arena-env-fingerprint"

SANDBOX_REQUIREMENTS: tuple[str, ...] = (
    "jupyterhub==6.1.1",
    "jupyter_server==2.21.1",
    "jupyterlab==4.6.6",
    "ipykernel==7.4.0",
    "numpy==2.4.6",
    "pandas==2.3.3",
    "pyarrow==26.0.1",
    "scikit-learn==1.9.1",
    "httpx==0.28.1",
)

SANDBOX_LEFT_OUT: tuple[str, ...] = ("rfc3987-syntax",)
"""Dependencies uninstalled after the install. ``rfc3987-syntax`` (pulled in by jupyter-events'
``jsonschema[format-nongpl]``) builds a Lark grammar when imported: about 1 s of CPU at every
server start, for jsonschema's optional "iri" format check only (skipped when it is absent)."""

JUPYTER_CONFIG_DIR = Path(__file__).parent / "jupyter-config"
"""The Jupyter config files of every sandbox (copied to the environment's ``etc/jupyter``; the
production image copies the same folder): ``jupyter_server_config.d/zz-data-arena.json`` turns
jupyter_lsp off (no language server is installed; ``zz-`` is read after the package's own file,
which enables it), ``jupyter_lab_config.json`` makes the extension manager read-only (a sandbox
has no network, PyPI is out of reach; LabApp reads no ``.d`` folder), ``labconfig/page_config.json``
disables the front-end's news announcements (no "get notified about Jupyter news?" toast: the
platform is offline) and its language-server client (it asks ``/lsp/status`` at every load, a 404
with jupyter_lsp off)."""

SERVER_CONFIG: dict[str, dict[str, object]] = {
    str(path.relative_to(JUPYTER_CONFIG_DIR)): json.loads(path.read_text())
    for path in sorted(JUPYTER_CONFIG_DIR.rglob("*.json"))
}
"""The files of :data:`JUPYTER_CONFIG_DIR`, by path under ``etc/jupyter``."""


def _client_files(client_dir: Path) -> list[Path]:
    skip = {"__pycache__", "build", "dist"}
    return sorted(
        path
        for path in client_dir.rglob("*")
        if path.is_file() and not (skip & set(path.parts)) and ".egg-info" not in str(path)
    )


def env_fingerprint(requirements: tuple[str, ...] = SANDBOX_REQUIREMENTS, client_dir: Path = CLIENT_DIR) -> str:
    """Hash of the pinned requirement list, what is left out, the server config and the client's source files.

    Args:
        requirements: the pinned requirement strings.
        client_dir: the client's source tree (``pyproject.toml`` + ``arena_client/``).
    """
    digest = hashlib.sha256("\n".join(requirements).encode())
    digest.update(json.dumps([SANDBOX_LEFT_OUT, SERVER_CONFIG], sort_keys=True).encode())
    for path in _client_files(client_dir):
        digest.update(str(path.relative_to(client_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def env_is_current(settings: Settings) -> bool:
    """Whether the environment at ``settings.sandbox_env_dir`` matches the current fingerprint."""
    stamp = settings.sandbox_env_dir / STAMP_NAME
    return stamp.is_file() and stamp.read_text().strip() == env_fingerprint()


def sandbox_python_version(settings: Settings) -> str:
    """The version of the Python the sandboxes' kernels run, e.g. ``"3.11.2"``.

    The environment's ``pyvenv.cfg`` says it; before the environment is built, the interpreter it
    is built from (``settings.sandbox_base_python``) is asked.

    Raises:
        SandboxEnvError: neither names a version.
    """
    config = settings.sandbox_env_dir / "pyvenv.cfg"
    with contextlib.suppress(OSError):
        for key, _, value in (line.partition("=") for line in config.read_text().splitlines()):
            if key.strip() in ("version", "version_info"):
                return value.strip()
    argv = [str(settings.sandbox_base_python), "-c", "import platform; print(platform.python_version())"]
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as error:
        raise SandboxEnvError(f"no Python version in {config}, and {argv[0]} did not say: {error}") from error


def _run(argv: list[str], what: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-15:]
        raise SandboxEnvError(f"{what} failed (exit {result.returncode}): " + "\n".join(tail))


def _pip() -> list[str]:
    pip = Path(sys.executable).with_name("pip")
    return [str(pip)] if pip.exists() else [sys.executable, "-m", "pip"]


def _make_world_readable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        extra = 0o055 if path.is_dir() or mode & 0o100 else 0o044
        os.chmod(path, mode | extra)


def _build(settings: Settings, target: Path) -> None:
    base = settings.sandbox_base_python
    if not base.exists():
        raise SandboxEnvError(f"sandbox base interpreter {base} does not exist (setting ARENA_SANDBOX_BASE_PYTHON)")
    shutil.rmtree(target, ignore_errors=True)
    _run([str(base), "-m", "venv", "--without-pip", str(target)], f"creating the venv {target}")
    with tempfile.TemporaryDirectory(prefix="arena-client-") as scratch:
        client_copy = Path(scratch) / "client"
        shutil.copytree(CLIENT_DIR, client_copy, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
        argv = [*_pip(), "--python", str(target / "bin" / "python"), "install", "--no-input"]
        _run([*argv, *SANDBOX_REQUIREMENTS, str(client_copy)], f"installing the sandbox packages into {target}")
    uninstall = [*_pip(), "--python", str(target / "bin" / "python"), "uninstall", "--yes", *SANDBOX_LEFT_OUT]
    _run(uninstall, f"removing {', '.join(SANDBOX_LEFT_OUT)} from {target}")
    for name, config in SERVER_CONFIG.items():
        (target / "etc" / "jupyter" / name).parent.mkdir(parents=True, exist_ok=True)
        (target / "etc" / "jupyter" / name).write_text(json.dumps(config, indent=2) + "\n")
    _make_world_readable(target)


def ensure_sandbox_env(settings: Settings, *, force: bool = False) -> Path:
    """Build the sandbox environment if it is missing or out of date, and return its path.

    Idempotent: a stamp file holds the fingerprint of the last successful build; a
    build only runs when it differs (or ``force``). A file lock serialises builders.

    Args:
        settings: platform settings (``sandbox_env_dir``, ``sandbox_base_python``).
        force: rebuild even if the stamp matches.

    Returns:
        The environment's directory (``settings.sandbox_env_dir``).

    Raises:
        SandboxEnvError: the base interpreter is missing or pip failed (its output tail included).
    """
    target = settings.sandbox_env_dir
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(target.parent, target.parent.stat().st_mode | 0o755)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if force or not env_is_current(settings):
            old_umask = os.umask(0o022)
            try:
                _build(settings, target)
            finally:
                os.umask(old_umask)
            (target / STAMP_NAME).write_text(env_fingerprint() + "\n")
            os.chmod(target / STAMP_NAME, 0o644)
    return target
