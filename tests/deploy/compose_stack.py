"""Driving the compose deployment from a test: ``docker compose`` calls, commands in the hub container, timings.

Used by ``test_compose_e2e.py`` (``make test-compose``); needs a running Docker engine and the images
(``deploy/build-images.sh``). The stack gets its own env file (a fresh PostgreSQL password, the
socket's group, the PostgreSQL image), never the operator's ``.env``.
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from deploy_files import COMPOSE_FILE, REPO_ROOT

__all__ = ["HubInCompose", "Phases", "Stack", "bridge_gateway", "docker", "engine_missing", "free_loopback_address"]

DOCKER_SOCKET = Path("/var/run/docker.sock")
HUB_PORT = 8000
"""The hub's published port (fixed in docker-compose.yml; the address is HUB_PUBLISH_ADDRESS)."""


def docker(*args: str, check: bool = True, timeout: float = 600, stdin: str | None = None) -> str:
    """Run ``docker ARGS``; its stdout (stderr too in the error when it fails)."""
    result = subprocess.run(
        ["docker", *args], input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def engine_missing(images: tuple[str, ...]) -> str | None:
    """Why the compose check cannot run here (no engine, no Compose v2, an image not built), or None."""
    try:
        docker("version", "--format", "{{.Server.Version}}", timeout=20)
        docker("compose", "version", timeout=20)
    except (AssertionError, FileNotFoundError, subprocess.TimeoutExpired) as error:
        return f"no Docker engine with Compose v2 (make test-compose starts one): {error}"
    missing = [image for image in images if docker("image", "inspect", image, check=False, timeout=20) == ""]
    return f"images not built (deploy/build-images.sh): {missing}" if missing else None


def bridge_gateway() -> str:
    """This host's address on Docker's default bridge."""
    device = docker("network", "inspect", "bridge", "-f", '{{index .Options "com.docker.network.bridge.name"}}').strip()
    shown = subprocess.run(
        ["ip", "-4", "-o", "addr", "show", "dev", device or "docker0"], capture_output=True, text=True, check=True
    )
    return shown.stdout.split()[3].split("/")[0]


def free_loopback_address(port: int) -> str:
    """The first of 127.0.0.1 … 127.0.0.9 where ``port`` is free (other stacks may hold 127.0.0.1:port)."""
    for last in range(1, 10):
        address = f"127.0.0.{last}"
        with socket.socket() as probe:
            try:
                probe.bind((address, port))
            except OSError:
                continue
            return address
    raise AssertionError(f"port {port} is taken on 127.0.0.1-9")


@dataclass
class Phases:
    """Wall time of each named phase, printed as a table at the end."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = time.monotonic() - started
            print(f"\n== phase {name}: {self.seconds[name]:.1f} s", flush=True)

    def table(self) -> str:
        """One line per phase, then the total."""
        lines = [f"{name:<64} {seconds:8.1f} s" for name, seconds in self.seconds.items()]
        return "\n".join([*lines, f"{'total':<64} {sum(self.seconds.values()):8.1f} s"])


@dataclass
class Stack:
    """The compose project of docker-compose.yml, with an env file of its own."""

    env_file: Path
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    address: str = "127.0.0.1"
    people: dict[str, str] = field(default_factory=dict)
    """Password of each person the test made (name -> password)."""
    stage_dir: Path = Path("/var/tmp/data-arena-enclave-compose")
    """The host folder code runs are staged in (apart from the bwrap enclave tests' default folder)."""

    def write_env(self, postgres_image: str) -> None:
        """The env file: a fresh database password, the socket's group, the address, the PostgreSQL image."""
        values = {
            "POSTGRES_PASSWORD": self.password,
            "DOCKER_GID": str(DOCKER_SOCKET.stat().st_gid),
            "HUB_PUBLISH_ADDRESS": self.address,
            "HUB_ADMIN_USERS": "[]",
            "POSTGRES_IMAGE": postgres_image,
            "ENCLAVE_STAGE_DIR": str(self.stage_dir),
        }
        self.env_file.write_text("".join(f"{name}={value}\n" for name, value in values.items()))

    @property
    def url(self) -> str:
        """The hub's public URL on this host."""
        return f"http://{self.address}:{HUB_PORT}"

    def compose(self, *args: str, check: bool = True, timeout: float = 600, stdin: str | None = None) -> str:
        """``docker compose ARGS`` on this project."""
        return docker(
            "compose",
            "--env-file",
            str(self.env_file),
            "-f",
            str(COMPOSE_FILE),
            "--project-directory",
            str(REPO_ROOT),
            *args,
            check=check,
            timeout=timeout,
            stdin=stdin,
        )

    def hub(self, *command: str, check: bool = True, timeout: float = 600) -> str:
        """Run ``command`` in the running hub container (as its user, arena)."""
        return self.compose("exec", "-T", "hub", *command, check=check, timeout=timeout)

    def hub_python(self, code: str, timeout: float = 600) -> Any:
        """Run Python ``code`` in the hub container (the project installed); the JSON of its last line."""
        output = self.compose("exec", "-T", "hub", "python", "-", timeout=timeout, stdin=code)
        return json.loads(output.strip().splitlines()[-1])

    def container_ids(self, service: str) -> list[str]:
        """The running containers of ``service``."""
        return self.compose("ps", "-q", service).split()

    def wait_healthy(self, timeout: float = 180) -> None:
        """Until the hub answers /hub/health and the scoring service /services/scoring/health through the proxy."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                hub = httpx.get(f"{self.url}/hub/health", timeout=5)
                scoring = httpx.get(f"{self.url}/services/scoring/health", timeout=5)
                if hub.status_code == 200 and scoring.status_code == 200:
                    return
                last = f"hub {hub.status_code}, scoring {scoring.status_code}"
            except httpx.HTTPError as error:
                last = repr(error)
            time.sleep(1)
        raise AssertionError(f"platform not healthy in {timeout}s ({last}):\n{self.compose('logs', '--tail', '60')}")

    def leftovers(self) -> dict[str, list[str]]:
        """Containers, networks and volumes of the platform still on the engine."""

        def names(kind: str, *args: str) -> list[str]:
            listed = docker(kind, "ls", *args, "--format", "{{.Name}}" if kind != "container" else "{{.Names}}")
            return [name for name in listed.split() if name.startswith(("data-arena", "arena-sandbox", "arena-enclave"))]

        return {
            "containers": names("container", "-a"),
            "networks": names("network"),
            "volumes": names("volume"),
            "staged runs": sorted(path.name for path in self.stage_dir.glob("run-*")),
        }


@dataclass
class HubInCompose:
    """The compose hub, as the hub harness's helpers expect it (``url``, ``api``, ``log``)."""

    stack: Stack

    @property
    def url(self) -> str:
        """The hub's public URL."""
        return self.stack.url

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        """Call the hub REST API with ``token``."""
        headers = {"Authorization": f"token {token}"} if token else {}
        return httpx.request(method, f"{self.url}/hub/api{path}", headers=headers, timeout=60, **kwargs)

    def log(self) -> str:
        """The hub container's recent log."""
        return self.stack.compose("logs", "--no-color", "--tail", "80", "hub", check=False)
